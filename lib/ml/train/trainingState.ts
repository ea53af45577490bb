import type { MonitoredMetric } from './checkpointSelection';
import type { EpochRecord } from './epochRecord';

/** Everything besides the weights that a checkpoint must hold to resume training exactly. */
export interface TrainingState {
  /** Completed epochs (0 = none). */
  epoch: number;
  bestEpoch: number;
  bestMetric: number;
  /** Epochs since the monitored metric last improved (./earlyStopping.ts). */
  badEpochs: number;
  stopped: boolean;
  monitored: MonitoredMetric;
  history: EpochRecord[];
}
