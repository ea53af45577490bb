import fs from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import type { ReproducePaperResult } from '../workflows/reproducePaper';
import type { Progress } from '../workflows/progress';
import { ProgressView } from './progressView';
import { exitDescription, type WorkerProcess } from './workerProcess';

/**
 * Polls the workflow's `progress` query until it ends and renders it; fails early with the worker's
 * log tail if a local worker process dies.
 */
export async function watchWorkflow<R = ReproducePaperResult>(
  handle: WorkflowHandle,
  worker?: WorkerProcess,
  intervalMs = 1000,
): Promise<{ result: R; progress?: Progress }> {
  const view = new ProgressView();
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  result.catch(() => undefined);
  let lastProgress: Progress | undefined;
  try {
    while (!finished) {
      try {
        lastProgress = await handle.query<Progress>('progress');
        view.update(lastProgress);
      } catch {
        // The first workflow task may not have run yet; the query answers once it has.
      }
      const dead = worker?.exited();
      if (dead) {
        throw new Error(
          `a worker process exited (${exitDescription(dead.child)}); last lines of ` +
            `${dead.logFile}:\n${tail(dead.logFile)}`,
        );
      }
      await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
    }
    try {
      lastProgress = await handle.query<Progress>('progress');
      view.update(lastProgress);
    } catch {
      /* a finished workflow still answers queries; ignore if it does not */
    }
  } finally {
    view.stop();
  }
  try {
    return { result: (await result) as R, progress: lastProgress };
  } catch (err) {
    const cause = (err as { cause?: { message?: string; cause?: { message?: string } } }).cause;
    const detail = cause?.cause?.message ?? cause?.message ?? lastProgress?.error;
    throw new Error(`${handle.workflowId} failed${detail ? `: ${detail}` : ''}`, { cause: err });
  }
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
