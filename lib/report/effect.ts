/**
 * The paper's effect in numbers: how much retrieval quality each mode loses when backgrounds are
 * swapped (clean MAP@R - swapped mean MAP@R, averaged over that mode's cells), the ratio of the two
 * drops, and the mean attention score per mode. The smoke run checks base drop >= 3 x BGAugment drop.
 */
import type { Effect, ReportCell } from './schema';

const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export function computeEffect(cells: readonly ReportCell[]): Effect {
  const drops = (mode: ReportCell['mode']) => {
    const own = cells.filter((c) => c.mode === mode);
    if (own.length === 0) throw new Error(`computeEffect: no '${mode}' cells in the report (needs both modes)`);
    return avg(own.map((c) => c.clean.mapAtR - c.swapped.mapAtR.mean));
  };
  const attention = (mode: ReportCell['mode']) => {
    const scores = cells.filter((c) => c.mode === mode && c.attention).map((c) => c.attention!.mean);
    return scores.length ? avg(scores) : null;
  };
  const baseMeanDrop = drops('base');
  const bgaugmentMeanDrop = drops('bgaugment');
  return {
    baseMeanDrop,
    bgaugmentMeanDrop,
    ratio: bgaugmentMeanDrop > 0 ? baseMeanDrop / bgaugmentMeanDrop : null,
    baseMeanAttention: attention('base'),
    bgaugmentMeanAttention: attention('bgaugment'),
  };
}
