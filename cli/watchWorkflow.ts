import fs from 'node:fs';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { ReproducePaperResult } from '../workflows/reproducePaper';
import type { Progress } from '../workflows/progress';
import { RetryReporter, retryingActivities } from './activityRetries';
import { explainFailure } from './failureMessage';
import { OutageNotice } from './outageNotice';
import { ProgressView } from './progressView';
import { exitDescription, type WorkerProcess } from './workerProcess';

export interface WatchOptions {
  intervalMs?: number;
  /** Lines that are not progress: retries, outages (default console.log, around the progress bar). */
  print?: (line: string) => void;
}

/** A query waits for a worker; one that does not answer soon is skipped, not waited for. */
const QUERY_TIMEOUT_MS = 5_000;

/**
 * Watches a workflow until it ends: renders its `progress` query, prints each failed activity
 * attempt that Temporal retries (activity, attempt, last error), and rides out a Temporal server
 * outage (says so, keeps polling, says when it is back): the workflow's state lives in the server's
 * database, so nothing is lost while the CLI waits. Fails early with the worker's log tail if a
 * local worker process dies, and with the failing activity's own message if the workflow fails.
 */
export async function watchWorkflow<R = ReproducePaperResult>(
  handle: WorkflowHandle,
  worker?: WorkerProcess,
  options: WatchOptions = {},
): Promise<{ result: R; progress?: Progress }> {
  const intervalMs = options.intervalMs ?? 1000;
  const view = new ProgressView();
  const print = options.print ?? ((line: string) => view.note(line));
  const retries = new RetryReporter(print);
  const outage = new OutageNotice(print, {
    server: 'Temporal server',
    meanwhile: 'The workflow keeps its state in the server; workers reconnect on their own.',
    then: 'watching',
  });
  let lastProgress: Progress | undefined;
  try {
    for (;;) {
      const dead = worker?.exited();
      if (dead) {
        throw new Error(
          `a worker process exited (${exitDescription(dead.child)}); last lines of ` +
            `${dead.logFile}:\n${tail(dead.logFile)}`,
        );
      }
      let running: boolean;
      try {
        const desc = await handle.describe();
        outage.reached();
        running = desc.status.name === 'RUNNING';
        if (running) retries.report(await retryingActivities(handle.client, handle.workflowId));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw err;
        outage.unreachable(err);
        await sleep(intervalMs);
        continue;
      }
      // A deadline on the call itself: no query is left waiting for a worker when the CLI exits.
      const progress = await handle.client
        .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query<Progress>('progress'))
        .catch(() => undefined);
      if (progress) {
        lastProgress = progress;
        view.update(progress);
      }
      if (!running) break;
      await sleep(intervalMs);
    }
  } finally {
    view.stop();
  }
  // Closed: fetch the outcome (the history is in the server; an outage here is waited out too).
  for (;;) {
    try {
      return { result: (await handle.result()) as R, progress: lastProgress };
    } catch (err) {
      if (!isServiceTrouble(err)) throw new Error(explainFailure(handle.workflowId, err), { cause: err });
      outage.unreachable(err);
      await sleep(intervalMs);
    }
  }
}

/** A client call that did not reach the server (as opposed to a workflow outcome). */
function isServiceTrouble(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'ServiceError' || name === 'GrpcError' || typeof (err as { code?: unknown })?.code === 'number';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
