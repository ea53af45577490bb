/**
 * What a training does around the trainer's loop (lib/ml/train/trainer.ts) so that it survives and
 * shows: after every step a heartbeat (and a cancellation check), during validation heartbeats per
 * batch, after every epoch a checkpoint, a heartbeat naming it, one log line and a progress signal
 * to the parent run. Temporal-free: the sinks are passed in (./activitySinks.ts in a worker).
 */
import type { CellProgressSignal } from '../../contracts/progress';
import { monitoredValue } from '../../lib/ml/train/checkpointSelection';
import type { TrainerOptions } from '../../lib/ml/train/trainer';
import type { TrainingState } from '../../lib/ml/train/trainingState';
import type { TrainHeartbeat } from '../types';

export interface EpochSinks {
  heartbeat(details: TrainHeartbeat & { validating?: string }): void;
  log(line: string): void;
  /** Best effort: must not throw (progress is never a reason to fail a training). */
  progress(signal: CellProgressSignal): Promise<void>;
  /** True once the activity was cancelled: the next step stops the training. */
  cancelled(): boolean;
}

export interface EpochCheckpointerOptions {
  cellId: string;
  maxEpochs: number;
  checkpoints: { readonly latestKey: string; save(state: TrainingState, improved: boolean): Promise<void> };
  /** The state a retried attempt restored, if any. */
  resumed?: TrainingState;
  sinks: EpochSinks;
}

export type EpochHooks = Required<Pick<TrainerOptions, 'onStep' | 'onValidationBatch' | 'endOfEpoch'>>;

/** The trainer's per-step, per-validation-batch and end-of-epoch hooks for one cell. */
export function epochCheckpointer(o: EpochCheckpointerOptions): EpochHooks {
  const { cellId, sinks } = o;
  const resumedFromEpoch = o.resumed?.epoch;
  // The newest heartbeat: every beat repeats where the training stands and which checkpoint holds it.
  const beat: TrainHeartbeat = {
    epoch: o.resumed?.epoch ?? 0,
    step: 0,
    checkpointKey: o.resumed ? o.checkpoints.latestKey : undefined,
  };
  return {
    onStep(epoch, step, loss) {
      if (sinks.cancelled()) throw new Error(`training of ${cellId} cancelled`);
      Object.assign(beat, { epoch, step, loss });
      sinks.heartbeat({ ...beat });
    },
    onValidationBatch(done, total) {
      sinks.heartbeat({ ...beat, validating: `${done}/${total}` });
    },
    async endOfEpoch(state, improved) {
      await o.checkpoints.save(state, improved);
      const last = state.history[state.history.length - 1];
      Object.assign(beat, {
        epoch: state.epoch,
        step: 0,
        metric: monitoredValue({ clean: last.valClean, swapped: last.valSwapped }, state.monitored),
        checkpointKey: o.checkpoints.latestKey,
      });
      sinks.heartbeat({ ...beat });
      sinks.log(
        `${cellId}: epoch ${state.epoch} loss ${last.trainLoss?.toFixed(4)} ` +
          `val MAP@R clean ${last.valClean.mapAtR.toFixed(4)} swapped ${last.valSwapped.mapAtR.toFixed(4)}` +
          (improved ? ' (best)' : ''),
      );
      await sinks.progress({
        cellId,
        epoch: state.epoch,
        maxEpochs: o.maxEpochs,
        trainLoss: last.trainLoss,
        valClean: last.valClean.mapAtR,
        valSwapped: last.valSwapped.mapAtR,
        resumedFromEpoch,
      });
    },
  };
}
