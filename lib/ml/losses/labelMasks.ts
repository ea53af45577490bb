import * as tf from '@tensorflow/tfjs';
import { maskWithoutGradient } from './detach';

/**
 * PML's get_all_pairs_indices as float masks over the [B,B] distance matrix: positives are same-label
 * pairs except i == j; negatives are different-label pairs. Both ordered (i,j and j,i both count).
 */
export function pairMasks(labels: tf.Tensor1D): { positive: tf.Tensor2D; negative: tf.Tensor2D } {
  return tf.tidy(() => {
    const b = labels.shape[0];
    const same = tf.equal(tf.reshape(labels, [b, 1]), tf.reshape(labels, [1, b]));
    const notSelf = tf.logicalNot(tf.cast(tf.eye(b), 'bool'));
    return {
      positive: tf.cast(tf.logicalAnd(same, notSelf), 'float32') as tf.Tensor2D,
      negative: tf.cast(tf.logicalNot(same), 'float32') as tf.Tensor2D,
    };
  });
}

/**
 * PML's AvgNonZeroReducer (ThresholdReducer low=0): mean over the losses strictly above 0, or 0 when
 * none is. `losses` are already masked (entries outside the valid pairs/triplets are 0). The result
 * stays connected to the inputs so a zero loss still has a (zero) gradient, like PML's sum(x * 0).
 */
export function meanOfPositive(losses: tf.Tensor): tf.Scalar {
  const count = tf.sum(maskWithoutGradient(losses, (v) => tf.greater(v, 0)));
  return tf.div(tf.sum(losses), tf.maximum(count, 1)) as tf.Scalar;
}

/** Checks shared by every loss: [B,D] embeddings, [B] int32 labels. */
export function checkBatch(lossName: string, embeddings: tf.Tensor, labels: tf.Tensor, embeddingSize?: number): void {
  if (embeddings.rank !== 2)
    throw new Error(`${lossName}: embeddings must be [batch, dim], got shape [${embeddings.shape}]`);
  if (labels.rank !== 1) throw new Error(`${lossName}: labels must be [batch], got shape [${labels.shape}]`);
  if (labels.shape[0] !== embeddings.shape[0]) {
    throw new Error(`${lossName}: ${embeddings.shape[0]} embeddings but ${labels.shape[0]} labels`);
  }
  if (labels.dtype !== 'int32') throw new Error(`${lossName}: labels must be int32, got ${labels.dtype}`);
  if (embeddingSize !== undefined && embeddings.shape[1] !== embeddingSize) {
    throw new Error(`${lossName}: embedding size ${embeddings.shape[1]}, expected ${embeddingSize}`);
  }
}
