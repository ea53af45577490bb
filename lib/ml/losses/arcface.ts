import * as tf from '@tensorflow/tfjs';
import { parseLossParams, type ArcFaceParams } from '../../../contracts/lossParams';
import { ClassWeightLoss, meanCrossEntropy, type ClassWeightContext } from './classWeights';
import { maskWithoutGradient } from './detach';
import { l2Normalize } from '../ops/l2Normalize';

/**
 * PML 1.x ArcFaceLoss (a LargeMarginSoftmaxLoss with CosineSimilarity and MeanReducer):
 * cosine = normalise(e) . normalise(W column); for the target class, theta = acos(clamp(cos, -1, 1))
 * and the logit becomes cos(theta + m) while theta <= pi - m, else cos(theta) - m sin(m) (PML's
 * monotonic continuation); all logits x scale; cross-entropy, batch mean. m = marginDegrees in radians.
 */
export class ArcFaceLoss extends ClassWeightLoss {
  declare readonly name: 'arcface';
  readonly params: ArcFaceParams;
  readonly marginRadians: number;

  constructor(params: ArcFaceParams, ctx: ClassWeightContext) {
    // Checked before the class weights are allocated, so a bad parameter leaks no tensor.
    const checked = parseLossParams('arcface', params);
    super('arcface', ctx);
    this.params = checked;
    this.marginRadians = (checked.marginDegrees * Math.PI) / 180;
  }

  protected lossOf(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
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
  }
}
