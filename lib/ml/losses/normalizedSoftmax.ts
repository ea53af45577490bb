import * as tf from '@tensorflow/tfjs';
import { parseLossParams, type NormalizedSoftmaxParams } from '../../../contracts/lossParams';
import { ClassWeightLoss, meanCrossEntropy, type ClassWeightContext } from './classWeights';
import { l2Normalize } from '../ops/l2Normalize';

/**
 * PML 1.x NormalizedSoftmaxLoss (DotProductSimilarity, which normalises the embeddings by default;
 * MeanReducer): logits = normalise(e) . normalise(W column) / temperature; cross-entropy, batch mean.
 * PML normalises W's columns and then, inside the distance, normalises them again: idempotent, so once here.
 */
export class NormalizedSoftmaxLoss extends ClassWeightLoss {
  declare readonly name: 'normalized_softmax';
  readonly params: NormalizedSoftmaxParams;

  constructor(params: NormalizedSoftmaxParams, ctx: ClassWeightContext) {
    const checked = parseLossParams('normalized_softmax', params);
    super('normalized_softmax', ctx);
    this.params = checked;
  }

  protected lossOf(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    const similarity = tf.matMul(l2Normalize(embeddings), l2Normalize(this.w.variable, 0));
    return meanCrossEntropy(tf.div(similarity, this.params.temperature) as tf.Tensor2D, labels);
  }
}
