import * as tf from '@tensorflow/tfjs';

/**
 * A float 0/1 mask `predicate(x)` that gradients do not flow through (torch's comparisons on
 * .detach()-ed values). tfjs has no stop_gradient, and a comparison such as tf.greater on a taped
 * tensor makes backprop fail ("gradient function not found for Greater"); computed inside a custom
 * gradient the comparison is not taped, and the mask reports a zero gradient.
 */
export function maskWithoutGradient(x: tf.Tensor, predicate: (value: tf.Tensor) => tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.cast(predicate(input), 'float32'), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  return op(x);
}
