/**
 * Which epoch's weights are tested (docs/protocol.md section 7): base runs monitor clean val MAP@R, BGAugment runs
 * swapped-background val MAP@R. An epoch improves only when its metric is strictly greater than the
 * best so far, so on a tie the earlier epoch stays best; a NaN metric never improves.
 */
import type { ValidationScores } from './validate';

export type MonitoredMetric = 'clean' | 'swapped';

export function monitoredMetricFor(mode: 'base' | 'bgaugment'): MonitoredMetric {
  return mode === 'base' ? 'clean' : 'swapped';
}

/** The monitored val MAP@R of one validation. */
export function monitoredValue(scores: ValidationScores, monitored: MonitoredMetric): number {
  return scores[monitored].mapAtR;
}

export interface BestEpoch {
  /** -1 before any validated epoch. */
  bestEpoch: number;
  bestMetric: number;
}

export const NO_BEST_EPOCH: BestEpoch = { bestEpoch: -1, bestMetric: -Infinity };

/** The best epoch after `epoch` scored `metric`; `improved` when `epoch` became the best. */
export function selectBestEpoch(best: BestEpoch, epoch: number, metric: number): BestEpoch & { improved: boolean } {
  const improved = metric > best.bestMetric;
  // Only the two fields: callers pass their whole training state as `best`.
  return improved
    ? { bestEpoch: epoch, bestMetric: metric, improved }
    : { bestEpoch: best.bestEpoch, bestMetric: best.bestMetric, improved };
}
