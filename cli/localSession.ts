/**
 * What `analyze` and `audit` need before they start a workflow: the services (the embedded ones
 * started when no external ones are configured), one local worker process unless `--no-workers`,
 * and a Temporal client. `close()` stops the worker, then the connection, in that order (a worker
 * outliving the command would keep polling).
 */
import type { Client } from '@temporalio/client';
import { ensureServices, type ServiceEndpoints } from '../services/embedded';
import { BGBIAS_SEARCH_ATTRIBUTES } from '../services/searchAttributes';
import { resolveStateDir } from '../services/stateDir';
import { connectClient } from './temporalClient';
import { startWorkerProcess, type WorkerProcess } from './workerProcess';

export interface LocalSession {
  endpoints: ServiceEndpoints;
  client: Client;
  worker?: WorkerProcess;
  close(): Promise<void>;
}

export async function openLocalSession(withWorker: boolean): Promise<LocalSession> {
  const endpoints = await ensureServices({ searchAttributes: BGBIAS_SEARCH_ATTRIBUTES, log: (l) => console.log(l) });
  const worker = withWorker ? startWorkerProcess(resolveStateDir()) : undefined;
  const connected = await connectClient(endpoints).catch(async (err: unknown) => {
    await worker?.stop();
    throw err;
  });
  return {
    endpoints,
    client: connected.client,
    worker,
    async close() {
      await worker?.stop();
      await connected.close();
    },
  };
}
