import * as tf from '@tensorflow/tfjs';
import type { TripletParams } from '../../../contracts/lossParams';
import { meanOfPositive, pairMasks } from './labelMasks';
import { l2Normalize } from '../ops/l2Normalize';
import { pairwiseEuclidean } from './pairwiseEuclidean';
import { PairBasedLoss } from './pairBasedLoss';

/**
 * PML 1.x TripletMarginLoss with its defaults (triplets_per_anchor="all", swap=False,
 * smooth_loss=False, LpDistance p=2 on normalised embeddings, AvgNonZeroReducer):
 * every (a, p, n) with label[a] == label[p], a != p, label[n] != label[a];
 * loss = mean over non-zero relu(d_ap - d_an + margin); 0 without triplets.
 * Built as a dense [B,B,B] tensor: 32^3 entries at the paper's batch size.
 */
export class TripletLoss extends PairBasedLoss<'triplet'> {
  readonly distance = 'euclidean' as const;

  constructor(params: TripletParams) {
    super('triplet', params);
  }

  protected lossOf(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    const b = embeddings.shape[0];
    const d = pairwiseEuclidean(l2Normalize(embeddings));
    const { positive, negative } = pairMasks(labels);
    // t[a,p,n] = d[a,p] - d[a,n] + margin, valid where (a,p) is positive and (a,n) negative.
    const violation = tf.add(tf.sub(tf.reshape(d, [b, b, 1]), tf.reshape(d, [b, 1, b])), this.params.margin);
    const valid = tf.mul(tf.reshape(positive, [b, b, 1]), tf.reshape(negative, [b, 1, b]));
    return meanOfPositive(tf.mul(tf.relu(violation), valid));
  }
}
