/**
 * A rehearsal's cost estimate of its full run (lib/report/costEstimate.ts) from what its stages
 * measured: the cell records' train and test timings, the attributions' timings, and the datasets'
 * full sizes and mask times. Undefined for a run that is not a rehearsal, or without timings.
 */
import type { ExperimentConfig } from '../configs/schema';
import { estimateCost, type CostEstimate, type FullDataset } from '../lib/report/costEstimate';
import type { AttributionResult, CellRecord } from './types';

const TYPICAL_WHY =
  'assumed, not measured: min(maxEpochs, 5 x (patience + 1)), five patience windows; the paper and its ' +
  'reference publish no epoch counts; set rehearsal.typicalEpochs to change it';

const meanOf = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined);

export function rehearsalCostEstimate(
  config: ExperimentConfig,
  records: readonly CellRecord[],
  attributions: readonly AttributionResult[],
): CostEstimate | undefined {
  const r = config.rehearsal;
  if (!r) return undefined;
  const trained = records.flatMap((c) => (c.train.timing ? [c.train.timing] : []));
  const tested = records.flatMap((c) => (c.evaluation.timing ? [c.evaluation.timing] : []));
  const stepSeconds = meanOf(trained.map((t) => t.stepSeconds));
  const valSecondsPerImage = meanOf(trained.map((t) => t.valSeconds / t.valImages));
  const testSecondsPerImagePass = meanOf(tested.map((t) => t.seconds / (t.images * t.passes)));
  if (stepSeconds === undefined || valSecondsPerImage === undefined || testSecondsPerImagePass === undefined)
    return undefined;
  const attributionSecondsPerImage = meanOf(
    attributions.flatMap((a) => (a.timing && a.timing.images > 0 ? [a.timing.seconds / a.timing.images] : [])),
  );
  const cellsPerDataset = config.losses.length * config.modes.length * config.seeds.length;
  const datasets: FullDataset[] = [];
  for (const name of config.datasets) {
    const ref = records.find((c) => c.cell.dataset === name)?.dataset;
    if (!ref) continue;
    const full = ref.full ?? {
      train: { count: ref.splits.train.count, numClasses: ref.splits.train.numClasses },
      val: { count: ref.splits.val.count, numClasses: ref.splits.val.numClasses },
      test: { count: ref.splits.test.count, numClasses: ref.splits.test.numClasses },
    };
    const masks = ref.maskTiming;
    datasets.push({
      dataset: name,
      val: full.val.count,
      test: full.test.count,
      maskImages: full.train.count + full.val.count + full.test.count,
      ...(masks && masks.images > 0 ? { maskSecondsPerImage: masks.seconds / masks.images } : {}),
      cells: cellsPerDataset,
    });
  }
  const backend = records.find((c) => c.train.backend)?.train.backend;
  const device = backend ? `${backend.device} (${backend.name} ${backend.version}, ${backend.threads} threads)` : '';
  return estimateCost(
    device,
    { stepSeconds, valSecondsPerImage, testSecondsPerImagePass, attributionSecondsPerImage },
    datasets,
    {
      iterationsPerEpoch: r.full.iterationsPerEpoch,
      patience: r.full.patience,
      maxEpochs: r.full.maxEpochs,
      typicalEpochs: r.typicalEpochs,
      validateBeforeTraining: config.training.validateBeforeTraining,
      swappedRepetitions: r.full.swappedRepetitions,
      attributionImages: r.full.attributionImages,
    },
    TYPICAL_WHY,
  );
}
