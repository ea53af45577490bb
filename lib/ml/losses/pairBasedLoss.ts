import * as tf from '@tensorflow/tfjs';
import { parseLossParams, type LossParamsByName } from '../../../contracts/lossParams';
import { checkBatch } from './labelMasks';
import type { LossDistance, MetricLoss } from './types';

export type PairBasedLossName = 'contrastive' | 'triplet' | 'multi_similarity';

/**
 * Contrastive, triplet and multi-similarity: losses on the distances between a batch's embeddings,
 * with hyperparameters but no trainable parameters of their own. This base checks the parameters
 * (against contracts/lossParams.ts) and the inputs; a subclass only says how distances become a loss.
 */
export abstract class PairBasedLoss<N extends PairBasedLossName> implements MetricLoss {
  abstract readonly distance: LossDistance;
  readonly params: LossParamsByName[N];

  protected constructor(
    readonly name: N,
    params: LossParamsByName[N],
  ) {
    this.params = parseLossParams(name, params);
  }

  compute(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    checkBatch(this.name, embeddings, labels);
    return tf.tidy(() => this.lossOf(embeddings, labels));
  }

  /** The batch loss for checked inputs (runs inside tf.tidy). */
  protected abstract lossOf(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar;

  trainableVariables(): tf.Variable[] {
    return [];
  }

  dispose(): void {}
}
