import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../util/rng';
import { ClassWeights, meanCrossEntropy } from './classWeights';
import { checkBatch } from './labelMasks';
import { l2Normalize } from './l2Normalize';
import { requirePositive, type NormalizedSoftmaxParams } from './params';
import type { MetricLoss } from './types';

/**
 * PML 1.x NormalizedSoftmaxLoss (DotProductSimilarity, which normalises the embeddings by default;
 * MeanReducer): logits = normalise(e) . normalise(W column) / temperature; cross-entropy, batch mean.
 * PML normalises W's columns and then, inside the distance, normalises them again: idempotent, so once here.
 */
export class NormalizedSoftmaxLoss implements MetricLoss {
  readonly name = 'normalized_softmax' as const;
  readonly distance = 'cosine' as const;
  private readonly w: ClassWeights;

  constructor(
    readonly params: NormalizedSoftmaxParams,
    ctx: { embeddingSize: number; numClasses: number; rng: Rng; weightsName?: string },
  ) {
    requirePositive(this.name, params, ['temperature']);
    this.w = new ClassWeights(this.name, ctx.embeddingSize, ctx.numClasses, ctx.rng, ctx.weightsName);
  }

  /** W, [embeddingSize, numClasses]: the loss's parameter group. */
  get weights(): tf.Variable<tf.Rank.R2> {
    return this.w.variable;
  }

  setWeights(values: tf.Tensor2D | number[][]): void {
    this.w.set(values);
  }

  compute(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    checkBatch(this.name, embeddings, labels, this.w.embeddingSize);
    this.w.checkLabels(labels);
    return tf.tidy(() => {
      const similarity = tf.matMul(l2Normalize(embeddings), l2Normalize(this.w.variable, 0));
      return meanCrossEntropy(tf.div(similarity, this.params.temperature) as tf.Tensor2D, labels);
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.w.variable];
  }

  dispose(): void {
    this.w.dispose();
  }
}
