import type { ExperimentConfig, GridCell } from '../../../configs/schema';
import { SAMPLER_M } from '../../../configs/lossParams';
import { Rng } from '../../util/rng';
import { createLoss } from '../losses';
import type { MetricLoss } from '../losses/types';
import { createSmallCnn } from '../models/smallCnn';
import type { EmbeddingModel } from '../models/types';
import { TorchRMSprop } from '../optim/rmsprop';
import type { TransformConfig } from '../transforms/pipeline';

export interface CellModel {
  model: EmbeddingModel;
  loss: MetricLoss;
  optimizer: TorchRMSprop;
  /** Images per class in a batch for this loss (PROTOCOL.md 7). */
  m: number;
  dispose(): void;
}

export type PretrainedWeights = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * Model, loss and optimizer of one grid cell, initialised from the cell's seed (so every attempt
 * starts from the same numbers). BN-Inception needs its ImageNet weights passed in (`pretrained`).
 */
export async function buildCell(
  config: ExperimentConfig,
  cell: GridCell,
  numClasses: number,
  pretrained?: PretrainedWeights,
): Promise<CellModel> {
  const model = await buildModel(config, cell.seed, pretrained);
  const params = config.lossParams[cell.dataset]?.[cell.loss];
  if (!params) throw new Error(`no ${cell.loss} hyperparameters for dataset ${cell.dataset}`);
  const loss = createLoss(cell.loss, params as never, {
    embeddingSize: config.model.embeddingSize,
    numClasses,
    rng: Rng.fromSeed(`loss/${cell.seed}`),
  });
  const lossVars = loss.trainableVariables();
  const lrLoss = 'lrLoss' in params ? params.lrLoss : undefined;
  const optimizer = new TorchRMSprop(
    [
      { params: model.trainableVariables(), lr: config.optimizer.lr },
      ...(lossVars.length ? [{ params: lossVars, lr: lrLoss ?? config.optimizer.lr }] : []),
    ],
    {
      alpha: config.optimizer.alpha,
      eps: config.optimizer.eps,
      weightDecay: config.optimizer.weightDecay,
      momentum: config.optimizer.momentum,
    },
  );
  return {
    model,
    loss,
    optimizer,
    m: SAMPLER_M[cell.loss],
    dispose() {
      optimizer.dispose();
      loss.dispose();
      model.dispose();
    },
  };
}

export async function buildModel(
  config: ExperimentConfig,
  seed: number,
  pretrained?: PretrainedWeights,
): Promise<EmbeddingModel> {
  const m = config.model;
  if (m.kind === 'small-cnn') {
    return createSmallCnn({
      seed: `model/${seed}`,
      inputSize: config.transform.crop,
      width: m.width,
      embeddingSize: m.embeddingSize,
    });
  }
  // Loaded lazily: the BN-Inception module is large and only the paper preset needs it.
  const { createBnInception } = await import('../models/bnInception');
  if (m.pretrained && !pretrained) throw new Error('bn-inception: pretrained weights requested but not loaded');
  return createBnInception({ weights: pretrained, seed: `model/${seed}`, embeddingSize: m.embeddingSize });
}

export function transformOf(config: ExperimentConfig): TransformConfig {
  const t = config.transform;
  return { resizeShort: t.resizeShort, crop: t.crop, scale: [...t.scale], ratio: [...t.ratio], mean: [...t.mean] };
}
