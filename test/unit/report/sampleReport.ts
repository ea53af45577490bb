/** A hand-made 2 datasets x 1 loss x 2 modes report whose table entries were computed by hand. */
import type { Report, ReportCell } from '../../../lib/report/schema';

function cell(
  dataset: string,
  mode: ReportCell['mode'],
  clean: number,
  mean: number,
  std: number,
  attention: number,
): ReportCell {
  const rep = { mean, std, reps: [mean] };
  return {
    dataset,
    loss: 'arcface',
    mode,
    seed: 42,
    bestEpoch: 3,
    epochsTrained: 10,
    clean: { mapAtR: clean, precisionAt1: 0.9, rPrecision: 0.6 },
    swapped: { mapAtR: rep, precisionAt1: rep, rPrecision: rep },
    attention: { mean: attention, std: 0.05, n: 100 },
  };
}

export function sampleReport(): Report {
  return {
    experiment: 'exp-1',
    preset: 'smoke',
    createdAt: '2026-11-27T00:00:00Z',
    backend: { name: 'cpu', device: 'cpu', threads: 2, version: 'tfjs 4.22.0' },
    timings: { train: 12.34 },
    cells: [
      // sample std of reps [0.30, 0.32, 0.31, 0.33, 0.29] = sqrt(0.001 / 4) = 0.0158113883
      cell('cub', 'base', 0.5234, 0.31, 0.0158113883, 0.1),
      cell('cub', 'bgaugment', 0.48, 0.4567, 0.001, 0.5),
      cell('sop, v2', 'base', 0.2, 0.1, 0.02, 0.3),
      cell('sop, v2', 'bgaugment', 0.25, 0.24, 0.005, 0.7),
    ],
    maskQuality: [
      {
        dataset: 'cub',
        n: 20,
        iou: { mean: 0.8, std: 0.1, median: 0.81, q1: 0.75, q3: 0.9, min: 0.5, max: 0.95 },
        overlap: { mean: 0.9, std: 0.05, median: 0.91, q1: 0.88, q3: 0.93, min: 0.7, max: 0.99 },
      },
    ],
  };
}
