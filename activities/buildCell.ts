/**
 * From an experiment's configuration to the library's objects: the activities' adapter, so that
 * lib/ takes plain arguments and never reads the configuration itself.
 */
import { SAMPLER_M } from '../configs/paper/hyperparameters';
import type { ExperimentConfig, ModelConfig } from '../configs/schema';
import type { GridCell } from '../contracts/grid';
import { createLoss } from '../lib/ml/losses';
import type { MetricLoss } from '../lib/ml/losses/types';
import type { TorchWeight } from '../lib/ml/models/bnInception';
import { createSmallCnn } from '../lib/ml/models/smallCnn';
import type { EmbeddingModel } from '../lib/ml/models/types';
import { TorchRMSprop } from '../lib/ml/optim/rmsprop';
import type { TransformConfig } from '../lib/ml/transforms/pipeline';
import { Rng } from '../lib/util/rng';

export interface CellModel {
  model: EmbeddingModel;
  loss: MetricLoss;
  optimizer: TorchRMSprop;
  /** Images per class in a batch for this loss (docs/protocol.md section 7). */
  m: number;
  dispose(): void;
}

export type PretrainedWeights = Map<string, TorchWeight>;

/** Whether the model starts from the ImageNet weights (only BN-Inception can, when `pretrained`). */
export function startsFromImageNet(model: ModelConfig): model is Extract<ModelConfig, { kind: 'bn-inception' }> {
  return model.kind === 'bn-inception' && model.pretrained;
}

/** The same configuration for a model whose weights all come from the store (no ImageNet file needed). */
export function withStoredWeights(config: ExperimentConfig): ExperimentConfig {
  return config.model.kind === 'bn-inception' ? { ...config, model: { ...config.model, pretrained: false } } : config;
}

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
  const settings = config.lossParams[cell.dataset]?.[cell.loss];
  if (!settings) throw new Error(`no ${cell.loss} hyperparameters for dataset ${cell.dataset}`);
  // lrLoss is the optimiser's business (the loss's parameter group), not the loss's own parameter.
  const { lrLoss, ...params } = settings as typeof settings & { lrLoss?: number };
  const loss = createLoss(cell.loss, params as never, {
    embeddingSize: config.model.embeddingSize,
    numClasses,
    rng: Rng.fromSeed(`loss/${cell.seed}`),
  });
  const lossVars = loss.trainableVariables();
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
      downsampling: m.downsampling,
    });
  }
  // Loaded lazily: the BN-Inception module is large and only the paper preset needs it.
  const { createBnInception } = await import('../lib/ml/models/bnInception');
  if (m.pretrained && !pretrained) throw new Error('bn-inception: pretrained weights requested but not loaded');
  return createBnInception({ weights: pretrained, seed: `model/${seed}`, embeddingSize: m.embeddingSize });
}

export function transformOf(config: ExperimentConfig): TransformConfig {
  const t = config.transform;
  return { resizeShort: t.resizeShort, crop: t.crop, scale: [...t.scale], ratio: [...t.ratio], mean: [...t.mean] };
}
