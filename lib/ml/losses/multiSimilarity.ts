import * as tf from '@tensorflow/tfjs';
import type { MultiSimilarityParams } from '../../../contracts/lossParams';
import { pairMasks } from './labelMasks';
import { l2Normalize } from '../ops/l2Normalize';
import { PairBasedLoss } from './pairBasedLoss';

/** Stands in for PML's masked_fill with finfo.min: exp() of it is 0, and it never makes inf - inf. */
const MASKED = -1e30;

/**
 * log(1 + sum_{j in mask} exp(x_ij)) per row, stable (PML lmu.logsumexp with add_one=True). A row with
 * an empty mask gives log(1) = 0, which is also what PML's final masked_fill sets.
 */
function logOnePlusSumExp(x: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor1D {
  const b = x.shape[0];
  const kept = tf.where(tf.cast(mask, 'bool'), x, tf.fill(x.shape, MASKED));
  return tf.logSumExp(tf.concat([kept, tf.zeros([b, 1])], 1), 1) as tf.Tensor1D;
}

/**
 * PML 1.x MultiSimilarityLoss (CosineSimilarity on normalised embeddings, all pairs, MeanReducer):
 * per anchor i, (1/alpha) log(1 + sum_P exp(-alpha (S_ip - base))) + (1/beta) log(1 + sum_N exp(beta (S_in - base)));
 * mean over the batch.
 */
export class MultiSimilarityLoss extends PairBasedLoss<'multi_similarity'> {
  readonly distance = 'cosine' as const;

  constructor(params: MultiSimilarityParams) {
    super('multi_similarity', params);
  }

  protected lossOf(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    const { alpha, beta, base } = this.params;
    const x = l2Normalize(embeddings);
    const s = tf.matMul(x, x, false, true);
    const { positive, negative } = pairMasks(labels);
    const pos = tf.mul(1 / alpha, logOnePlusSumExp(tf.mul(alpha, tf.sub(base, s)), positive));
    const neg = tf.mul(1 / beta, logOnePlusSumExp(tf.mul(beta, tf.sub(s, base)), negative));
    return tf.mean(tf.add(pos, neg)) as tf.Scalar;
  }
}
