/**
 * The trainer options that a cell's config and built model fix (docs/protocol.md section 7):
 * everything but the batches, the resumed state and the per-epoch hooks. The train activity uses it,
 * and so do the tests and benches that train a cell outside the activity, so that they train it the
 * way the product does (a test that shortens the run overrides maxEpochs / patience after it).
 */
import type { ExperimentConfig } from '../../configs/schema';
import type { GridCell } from '../../contracts/grid';
import type { TrainerOptions } from '../../lib/ml/train/trainer';
import type { CellModel } from '../buildCell';

export type CellTrainerOptions = Omit<
  TrainerOptions,
  'input' | 'prefetch' | 'resume' | 'endOfEpoch' | 'onStep' | 'onValidationBatch'
>;

export function cellTrainerOptions(config: ExperimentConfig, cell: GridCell, built: CellModel): CellTrainerOptions {
  return {
    model: built.model,
    loss: built.loss,
    applyGradients: (g) => built.optimizer.step(g),
    valBackgroundDraws: config.evaluation.valBackgrounds,
    mode: cell.mode,
    seed: cell.seed,
    batchSize: config.sampler.batchSize,
    m: built.m,
    iterationsPerEpoch: config.sampler.iterationsPerEpoch,
    maxEpochs: config.training.maxEpochs,
    patience: config.training.patience,
    validateBeforeTraining: config.training.validateBeforeTraining,
  };
}
