import * as tf from '@tensorflow/tfjs';
import { parseLossParams, type ContrastiveParams } from '../../../contracts/lossParams';
import { checkBatch, meanOfPositive, pairMasks } from './labelMasks';
import { l2Normalize } from './l2Normalize';
import { pairwiseEuclidean } from './pairwiseEuclidean';
import type { MetricLoss } from './types';

/**
 * PML 1.x ContrastiveLoss with its defaults (LpDistance p=2 on normalised embeddings, all pairs, one
 * AvgNonZeroReducer per sub-loss, sub-losses summed):
 *   pos = mean over non-zero relu(d_ap - posMargin), neg = mean over non-zero relu(negMargin - d_an).
 * PML returns 0 early when every pair list has at most one entry; ordered pair lists always have an
 * even length, so that only happens with no pairs at all, where both means are 0 anyway.
 */
export class ContrastiveLoss implements MetricLoss {
  readonly name = 'contrastive' as const;
  readonly distance = 'euclidean' as const;

  readonly params: ContrastiveParams;

  constructor(params: ContrastiveParams) {
    this.params = parseLossParams('contrastive', params);
  }

  compute(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    checkBatch(this.name, embeddings, labels);
    return tf.tidy(() => {
      const d = pairwiseEuclidean(l2Normalize(embeddings));
      const { positive, negative } = pairMasks(labels);
      const posLosses = tf.mul(tf.relu(tf.sub(d, this.params.posMargin)), positive);
      const negLosses = tf.mul(tf.relu(tf.sub(this.params.negMargin, d)), negative);
      return tf.add(meanOfPositive(posLosses), meanOfPositive(negLosses)) as tf.Scalar;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [];
  }

  dispose(): void {}
}
