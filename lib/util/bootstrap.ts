/**
 * Percentile bootstrap confidence intervals for a mean (Efron): resample the n values with
 * replacement B times, take each resample's mean, and report the (1-c)/2 and 1-(1-c)/2 quantiles of
 * those B means (numpy's default linear quantile, lib/util/stats.ts). Used over queries: the values
 * are per-query MAP@R, P@1 or R-Precision, and the interval says how much the metric would move on
 * another draw of queries from the same distribution (not over training seeds: intervals.ts).
 *
 * The resample indices are explicit (B x n, row b = resample b) so that they can be recorded, shared
 * between metrics and protocols (paired comparisons: the same resampled queries everywhere), and fed
 * to an independent implementation (scripts/fixtures/gen_bootstrap.py, numpy) in the tests.
 */
import type { Rng } from './rng';
import { mean, sortedQuantile } from './stats';

export interface Interval {
  /** The statistic on the original values (the plain mean). */
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
}

/** B x n indices, each uniform in [0, n), from `rng` in row order. */
export function bootstrapIndices(n: number, resamples: number, rng: Rng): Int32Array {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bootstrapIndices: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new Error(`bootstrapIndices: resamples must be a positive integer, got ${resamples}`);
  }
  const out = new Int32Array(n * resamples);
  for (let i = 0; i < out.length; i++) out[i] = rng.int(0, n - 1);
  return out;
}

/** The mean of each resample (values summed in resample order). */
export function bootstrapMeans(values: ArrayLike<number>, indices: Int32Array, resamples: number): Float64Array {
  const n = values.length;
  if (n === 0) throw new Error('bootstrapMeans: no values');
  if (indices.length !== n * resamples) {
    throw new Error(`bootstrapMeans: ${indices.length} indices for ${resamples} resamples of ${n} values`);
  }
  const out = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = b * n, end = i + n; i < end; i++) {
      const j = indices[i];
      if (!(j >= 0 && j < n)) throw new Error(`bootstrapMeans: index ${j} at position ${i} is outside [0, ${n})`);
      s += values[j];
    }
    out[b] = s / n;
  }
  return out;
}

export function percentileInterval(
  values: ArrayLike<number>,
  indices: Int32Array,
  resamples: number,
  confidence = 0.95,
): Interval {
  if (!(confidence > 0 && confidence < 1))
    throw new Error(`percentileInterval: confidence must be in (0, 1), got ${confidence}`);
  const means = bootstrapMeans(values, indices, resamples).sort();
  const alpha = (1 - confidence) / 2;
  return {
    estimate: mean(values),
    lower: sortedQuantile(means, alpha),
    upper: sortedQuantile(means, 1 - alpha),
    confidence,
  };
}
