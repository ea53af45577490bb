/**
 * Aggregates across independent runs, for the experiment tables and audit reports:
 * - repetitionSummary: mean and sample std (ddof 1) over background repetitions (draws of the
 *   swapped backgrounds or donors for one model), as the evaluate stage reports them;
 * - meanInterval: mean and a two-sided t-interval across training seeds,
 *   mean +- t_{(1+c)/2, n-1} * s / sqrt(n) with s the sample std (ddof 1): seeds are few (3-5), so
 *   the normal quantile would be too narrow; the interval assumes the per-seed values are i.i.d. and
 *   roughly normal (MLRC reports such intervals over training runs);
 * - pairedDifference: treated - base per seed (e.g. BGAugment minus base trained with the same seed),
 *   then meanInterval of those differences: pairing removes the between-seed variation both share.
 * With one value there is no spread: std and the interval bounds are null.
 */
import { mean, std } from './stats';
import { tQuantile } from './studentT';

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (ddof 1); null with one value. */
  std: number | null;
  n: number;
}

export interface MeanInterval extends MeanStd {
  confidence: number;
  /** Degrees of freedom of the t quantile (n - 1). */
  dof: number;
  lower: number | null;
  upper: number | null;
  halfWidth: number | null;
}

export function repetitionSummary(values: ArrayLike<number>): MeanStd {
  return { mean: mean(values), std: values.length > 1 ? std(values, 1) : null, n: values.length };
}

export function meanInterval(values: ArrayLike<number>, confidence = 0.95): MeanInterval {
  if (!(confidence > 0 && confidence < 1))
    throw new Error(`meanInterval: confidence must be in (0, 1), got ${confidence}`);
  const s = repetitionSummary(values);
  const dof = s.n - 1;
  if (s.std === null) return { ...s, confidence, dof, lower: null, upper: null, halfWidth: null };
  const halfWidth = (tQuantile((1 + confidence) / 2, dof) * s.std) / Math.sqrt(s.n);
  return { ...s, confidence, dof, lower: s.mean - halfWidth, upper: s.mean + halfWidth, halfWidth };
}

/** Paired by position: treated[i] and base[i] come from the same seed. */
export function pairedDifference(
  base: ArrayLike<number>,
  treated: ArrayLike<number>,
  confidence = 0.95,
): MeanInterval & { differences: number[] } {
  if (base.length !== treated.length) {
    throw new Error(
      `pairedDifference: ${base.length} base values but ${treated.length} treated values (one per seed each)`,
    );
  }
  const differences = Array.from({ length: base.length }, (_, i) => treated[i] - base[i]);
  return { ...meanInterval(differences, confidence), differences };
}
