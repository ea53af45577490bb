import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../util/rng';
import { checkBatch } from './labelMasks';
import type { MetricLoss } from './types';

/**
 * The [embeddingSize, numClasses] class-weight matrix of ArcFace / NormalizedSoftmax (PML's W),
 * initialised normal(0, 1) like PML's default torch.nn.init.normal_, but from our seeded Rng (so the
 * values differ from torch's; the distribution is the same).
 */
export class ClassWeights {
  readonly variable: tf.Variable<tf.Rank.R2>;

  constructor(
    readonly lossName: string,
    readonly embeddingSize: number,
    readonly numClasses: number,
    rng: Rng,
    name?: string,
  ) {
    for (const [key, v] of [
      ['embeddingSize', embeddingSize],
      ['numClasses', numClasses],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`${lossName}: ${key} must be a positive integer, got ${v}`);
    }
    const values = new Float32Array(embeddingSize * numClasses);
    for (let i = 0; i < values.length; i++) values[i] = rng.normal();
    this.variable = tf.tidy(() => tf.variable(tf.tensor2d(values, [embeddingSize, numClasses]), true, name));
  }

  /** Replaces the weights (e.g. from a checkpoint or a golden fixture); the shape must match. */
  set(values: tf.Tensor2D | number[][]): void {
    tf.tidy(() => {
      const t = Array.isArray(values) ? tf.tensor2d(values) : values;
      const [d, c] = t.shape;
      if (d !== this.embeddingSize || c !== this.numClasses) {
        throw new Error(
          `${this.lossName}: weights must be [${this.embeddingSize}, ${this.numClasses}], got [${t.shape}]`,
        );
      }
      this.variable.assign(tf.cast(t, 'float32'));
    });
  }

  /** Integer labels in [0, numClasses): checked on the host, a wrong label would otherwise one-hot to zeros. */
  checkLabels(labels: tf.Tensor1D): void {
    const values = labels.dataSync();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(v >= 0 && v < this.numClasses)) {
        throw new Error(`${this.lossName}: label ${v} at batch index ${i} is outside [0, ${this.numClasses})`);
      }
    }
  }

  dispose(): void {
    this.variable.dispose();
  }
}

/** Mean over the batch of -log softmax(logits)[label] (torch CrossEntropyLoss + PML MeanReducer). */
export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const oneHot = tf.oneHot(labels, logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits, 1)), 1))) as tf.Scalar;
}

/** What a loss with a class-weight matrix needs to build it. */
export interface ClassWeightContext {
  embeddingSize: number;
  numClasses: number;
  rng: Rng;
  /** Optional tfjs variable name for the matrix (stable names help checkpoints). */
  weightsName?: string;
}

/**
 * ArcFace and NormalizedSoftmax: losses whose parameter group is the class-weight matrix W. This base
 * owns W (accessors, checkpoint restore, disposal) and the input checks; a subclass only says how a
 * batch's logits become its loss.
 */
export abstract class ClassWeightLoss implements MetricLoss {
  readonly distance = 'cosine' as const;
  protected readonly w: ClassWeights;

  protected constructor(
    readonly name: 'arcface' | 'normalized_softmax',
    ctx: ClassWeightContext,
  ) {
    this.w = new ClassWeights(name, ctx.embeddingSize, ctx.numClasses, ctx.rng, ctx.weightsName);
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
    return tf.tidy(() => this.lossOf(embeddings, labels));
  }

  /** The batch loss for checked inputs (runs inside tf.tidy). */
  protected abstract lossOf(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar;

  trainableVariables(): tf.Variable[] {
    return [this.w.variable];
  }

  dispose(): void {
    this.w.dispose();
  }
}
