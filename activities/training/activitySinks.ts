/** The epoch checkpointer's sinks inside a Temporal activity: heartbeats, the worker log, signals. */
import { Context } from '@temporalio/activity';
import { CELL_PROGRESS_SIGNAL, type CellProgressSignal } from '../../contracts/progress';
import { heartbeat, logInfo } from '../context';
import type { EpochSinks } from './epochCheckpointer';

/** `progressWorkflowId`: the run that receives per-epoch progress signals (the parent), if any. */
export function activitySinks(progressWorkflowId: string | undefined): EpochSinks {
  const cancellation = cancellationSignal();
  return {
    heartbeat,
    log: (line) => logInfo(line),
    progress: (s) => signalProgress(progressWorkflowId, s),
    cancelled: () => cancellation?.aborted ?? false,
  };
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** Best effort: progress is a convenience, never a reason to fail a training. */
async function signalProgress(workflowId: string | undefined, s: CellProgressSignal): Promise<void> {
  if (!workflowId) return;
  try {
    await Context.current().client.workflow.getHandle(workflowId).signal<[CellProgressSignal]>(CELL_PROGRESS_SIGNAL, s);
  } catch (err) {
    logInfo(`progress signal to ${workflowId} failed: ${(err as Error).message}`);
  }
}
