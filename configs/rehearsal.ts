import { SAMPLER_M } from './paper/hyperparameters';
import type { ExperimentConfig, RehearsalConfig } from './schema';

/**
 * `bgbias run --rehearse`: the same experiment on a small slice, to learn in minutes that the
 * mirrors, weights, masks model and GPU build work, and what the full run will cost. Only sizes
 * change: model, weights, transforms, losses, masks, backgrounds and every stage stay those of the
 * full run (Lightning's fast_dev_run, plus a cost estimate).
 */
export const REHEARSAL = {
  /** Iterations per epoch and epochs: two epochs, so the estimate can time the second (warm) one. */
  iterationsPerEpoch: 2,
  epochs: 2,
  swappedRepetitions: 1,
  attributionImages: 2,
  /** Val and test: enough classes for retrieval metrics with several relevant images per query. */
  evalClasses: 8,
  /** Per class: at least twice the largest sampler m (4), so a class fills its m slots unrepeated. */
  imagesPerClass: 8,
} as const;

export const REHEARSAL_SUFFIX = '-rehearsal';

/**
 * Train classes the M-per-class sampler needs to fill a batch for every loss of the grid:
 * ceil(batch / m), the largest over the losses (32 for batch 32 with m = 1, 8 with m = 4).
 */
export function trainClassesNeeded(config: Pick<ExperimentConfig, 'losses' | 'sampler'>): number {
  return Math.max(...config.losses.map((l) => Math.ceil(config.sampler.batchSize / SAMPLER_M[l])));
}

/**
 * The "typical" epoch count of the estimate: early stopping decides the real one, and no published
 * count exists (the paper and its reference state only patience 15 and max 1000). The assumption:
 * five patience windows, min(maxEpochs, 5 x (patience + 1)): 80 for the paper preset. The minimum,
 * patience + 1, is printed beside it; a user who knows better sets `rehearsal.typicalEpochs`.
 */
export function typicalEpochs(training: { maxEpochs: number; patience: number }): number {
  return Math.min(training.maxEpochs, 5 * (training.patience + 1));
}

/** A full configuration -> its rehearsal (pure; the caller validates the result with the schema). */
export function rehearsalConfig(config: ExperimentConfig): ExperimentConfig {
  if (config.rehearsal) throw new Error(`experiment ${config.experiment} is already a rehearsal`);
  const rehearsal: RehearsalConfig = {
    cut: {
      train: { classes: trainClassesNeeded(config), imagesPerClass: REHEARSAL.imagesPerClass },
      val: { classes: REHEARSAL.evalClasses, imagesPerClass: REHEARSAL.imagesPerClass },
      test: { classes: REHEARSAL.evalClasses, imagesPerClass: REHEARSAL.imagesPerClass },
    },
    full: {
      experiment: config.experiment,
      iterationsPerEpoch: config.sampler.iterationsPerEpoch,
      maxEpochs: config.training.maxEpochs,
      patience: config.training.patience,
      swappedRepetitions: config.evaluation.swappedRepetitions,
      ...(config.attribution.maxImages !== undefined ? { attributionImages: config.attribution.maxImages } : {}),
    },
    typicalEpochs: typicalEpochs(config.training),
  };
  return {
    ...config,
    experiment: `${config.experiment}${REHEARSAL_SUFFIX}`,
    sampler: {
      ...config.sampler,
      iterationsPerEpoch: Math.min(config.sampler.iterationsPerEpoch, REHEARSAL.iterationsPerEpoch),
    },
    training: { ...config.training, maxEpochs: Math.min(config.training.maxEpochs, REHEARSAL.epochs) },
    evaluation: { ...config.evaluation, swappedRepetitions: REHEARSAL.swappedRepetitions },
    attribution: {
      ...config.attribution,
      maxImages: Math.min(config.attribution.maxImages ?? Infinity, REHEARSAL.attributionImages),
      figureImages: Math.min(config.attribution.figureImages, REHEARSAL.attributionImages),
    },
    rehearsal,
  };
}
