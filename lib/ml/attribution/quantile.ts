/**
 * torch.quantile(x.flatten(), q) for an attention map: linear interpolation at position q*(n-1) of
 * the ascending values (numpy's and torch's default; torch.lerp's formula, exact at both ends).
 * NaN entries are refused: torch would return NaN and silently poison the map.
 */
import { sortedQuantile } from '../../util/stats';

export function mapQuantile(values: Float32Array, q: number): number {
  if (values.length === 0) throw new Error('mapQuantile: empty map');
  if (!(q >= 0 && q <= 1)) throw new Error(`mapQuantile: q must be in [0, 1], got ${q}`);
  const sorted = Float32Array.from(values).sort();
  if (Number.isNaN(sorted[sorted.length - 1]))
    throw new Error('mapQuantile: the map contains NaN (typed-array sort puts it last)');
  return sortedQuantile(sorted, q);
}
