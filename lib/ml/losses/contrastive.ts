import * as tf from '@tensorflow/tfjs';
import type { ContrastiveParams } from '../../../contracts/lossParams';
import { meanOfPositive, pairMasks } from './labelMasks';
import { l2Normalize } from '../ops/l2Normalize';
import { pairwiseEuclidean } from './pairwiseEuclidean';
import { PairBasedLoss } from './pairBasedLoss';

/**
 * PML 1.x ContrastiveLoss with its defaults (LpDistance p=2 on normalised embeddings, all pairs, one
 * AvgNonZeroReducer per sub-loss, sub-losses summed):
 *   pos = mean over non-zero relu(d_ap - posMargin), neg = mean over non-zero relu(negMargin - d_an).
 * PML returns 0 early when every pair list has at most one entry; ordered pair lists always have an
 * even length, so that only happens with no pairs at all, where both means are 0 anyway.
 */
export class ContrastiveLoss extends PairBasedLoss<'contrastive'> {
  readonly distance = 'euclidean' as const;

  constructor(params: ContrastiveParams) {
    super('contrastive', params);
  }

  protected lossOf(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    const d = pairwiseEuclidean(l2Normalize(embeddings));
    const { positive, negative } = pairMasks(labels);
    const posLosses = tf.mul(tf.relu(tf.sub(d, this.params.posMargin)), positive);
    const negLosses = tf.mul(tf.relu(tf.sub(this.params.negMargin, d)), negative);
    return tf.add(meanOfPositive(posLosses), meanOfPositive(negLosses)) as tf.Scalar;
  }
}
