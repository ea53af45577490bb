// The set-up most integration tests share: real Temporal and S3 servers on random ports
// (helpers/services.ts), a connected client, and by default cpu + gpu workers in this process.
// One function, so every test starts and stops them in the same order: the client closes before
// the workers stop (no poll left hanging), the servers stop last.
import type { Client } from '@temporalio/client';
import { connectClient, type ConnectedClient } from '../../cli/temporalClient';
import { startTestServices, type TestServices } from './services';
import { startInProcessWorkers } from './tinyExperiment';

export interface IntegrationEnvironment {
  services: TestServices;
  temporal: ConnectedClient;
  client: Client;
  /** The in-process workers; absent when started with `{ workers: false }` (tests that spawn worker processes). */
  workers?: { cacheDir: string; stop(): Promise<void> };
  stop(): Promise<void>;
}

export async function startIntegrationEnvironment(opts: { workers?: boolean } = {}): Promise<IntegrationEnvironment> {
  const services = await startTestServices();
  const workers = opts.workers === false ? undefined : startInProcessWorkers(services.endpoints);
  let temporal: ConnectedClient;
  try {
    temporal = await connectClient(services.endpoints);
  } catch (err) {
    await workers?.stop();
    await services.stop();
    throw err;
  }
  return {
    services,
    temporal,
    client: temporal.client,
    workers,
    async stop() {
      await temporal.close();
      await workers?.stop();
      await services.stop();
    },
  };
}
