import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../util/rng';
import { ClassWeights, meanCrossEntropy } from './classWeights';
import { maskWithoutGradient } from './detach';
import { checkBatch } from './labelMasks';
import { l2Normalize } from './l2Normalize';
import { requireFinite, requirePositive, type ArcFaceParams } from './params';
import type { MetricLoss } from './types';

/**
 * PML 1.x ArcFaceLoss (a LargeMarginSoftmaxLoss with CosineSimilarity and MeanReducer):
 * cosine = normalise(e) . normalise(W column); for the target class, theta = acos(clamp(cos, -1, 1))
 * and the logit becomes cos(theta + m) while theta <= pi - m, else cos(theta) - m sin(m) (PML's
 * monotonic continuation); all logits x scale; cross-entropy, batch mean. m = marginDegrees in radians.
 */
export class ArcFaceLoss implements MetricLoss {
  readonly name = 'arcface' as const;
  readonly distance = 'cosine' as const;
  readonly marginRadians: number;
  private readonly w: ClassWeights;

  constructor(
    readonly params: ArcFaceParams,
    ctx: { embeddingSize: number; numClasses: number; rng: Rng; weightsName?: string },
  ) {
    requirePositive(this.name, params, ['scale']);
    requireFinite(this.name, params, ['marginDegrees']);
    if (params.marginDegrees < 0 || params.marginDegrees >= 180) {
      throw new Error(`${this.name}: marginDegrees must be in [0, 180), got ${params.marginDegrees}`);
    }
    this.marginRadians = (params.marginDegrees * Math.PI) / 180;
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
      const m = this.marginRadians;
      const cosine = tf.matMul(l2Normalize(embeddings), l2Normalize(this.w.variable, 0));
      const target = tf.cast(tf.oneHot(labels, this.w.numClasses), 'bool');
      const cosTarget = tf.sum(tf.mul(cosine, tf.cast(target, 'float32')), 1, true);
      const angles = tf.acos(tf.clipByValue(cosTarget, -1, 1));
      const withMargin = tf.where(
        tf.cast(
          maskWithoutGradient(angles, (a) => tf.lessEqual(a, Math.PI - m)),
          'bool',
        ),
        tf.cos(tf.add(angles, m)),
        tf.sub(tf.cos(angles), m * Math.sin(m)),
      );
      const logits = tf.mul(tf.where(target, tf.broadcastTo(withMargin, cosine.shape), cosine), this.params.scale);
      return meanCrossEntropy(logits as tf.Tensor2D, labels);
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.w.variable];
  }

  dispose(): void {
    this.w.dispose();
  }
}
