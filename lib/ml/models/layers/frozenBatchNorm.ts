/**
 * Frozen BatchNorm (docs/protocol.md section 6): every BN layer runs in inference mode during training, with the
 * running statistics fixed at their ImageNet values, while gamma and beta still train. BN-Inception
 * follows each conv with one, so the BN is folded into the conv per call:
 *
 *   bn(conv(x, w) + b) = conv(x, w * scale) + shift,
 *   scale = gamma / sqrt(var + eps),  shift = beta + (b - mean) * scale
 *
 * exactly BN in inference mode, with gradients reaching w, b, gamma and beta. Folding per call (not
 * once at load) is what keeps gamma/beta trainable; it replaces two full-size ops per layer (bias add,
 * batchNorm) by work on the small weight tensors.
 */
import * as tf from '@tensorflow/tfjs';

export interface FrozenBatchNorm {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  runningMean: tf.Tensor1D;
  runningVar: tf.Tensor1D;
  eps: number;
}

/** The running statistics are the frozen part: never trainable (state-dict names `*.running_mean|var`). */
export function isFrozenBatchNormStatistic(name: string): boolean {
  return name.endsWith('running_mean') || name.endsWith('running_var');
}

/** Filter and per-channel shift of `bn(conv(x, filter) + bias)`; `filter` is HWIO. */
export function foldFrozenBatchNorm(
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  bn: FrozenBatchNorm,
): { filter: tf.Tensor4D; shift: tf.Tensor1D } {
  const scale = tf.mul(bn.gamma, tf.rsqrt(tf.add(bn.runningVar, bn.eps)));
  return {
    filter: tf.mul(filter, scale) as tf.Tensor4D, // HWIO: scale broadcasts over O
    shift: tf.add(bn.beta, tf.mul(tf.sub(bias, bn.runningMean), scale)) as tf.Tensor1D,
  };
}
