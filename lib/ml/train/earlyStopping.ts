/**
 * Early stopping (docs/protocol.md section 7): training stops once `patience` epochs in a row did not improve the
 * monitored metric (./checkpointSelection.ts decides what improves). The counter is part of the
 * checkpointed training state, so a resumed attempt goes on counting where the killed one stopped.
 */
export interface EarlyStopping {
  /** Epochs since the monitored metric last improved. */
  badEpochs: number;
  stopped: boolean;
}

export const EARLY_STOPPING_START: EarlyStopping = { badEpochs: 0, stopped: false };

export function advanceEarlyStopping(state: EarlyStopping, improved: boolean, patience: number): EarlyStopping {
  if (!Number.isInteger(patience) || patience < 1)
    throw new Error(`early stopping: patience must be a positive integer, got ${patience}`);
  // Only the two fields come back: callers pass their whole training state as `state`.
  const badEpochs = improved ? 0 : state.badEpochs + 1;
  return { badEpochs, stopped: badEpochs >= patience };
}
