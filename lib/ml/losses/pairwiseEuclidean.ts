import * as tf from '@tensorflow/tfjs';

/**
 * [B,B] Euclidean distances between the rows of x, as torch.cdist(x, x, p=2) inside PML's LpDistance.
 *
 * Forward from explicit differences (not |a|^2+|b|^2-2ab, whose cancellation loses most digits for
 * close pairs in float32). Custom gradient because sqrt'(0) is infinite: like torch's cdist backward,
 * a pair at distance exactly 0 (the diagonal, duplicate images) contributes no gradient.
 */
export function pairwiseEuclidean(x: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const [b, d] = input.shape;
    const diff = tf.sub(tf.reshape(input, [b, 1, d]), tf.reshape(input, [1, b, d]));
    const dist = tf.sqrt(tf.sum(tf.square(diff), 2));
    save([input, dist]);
    return {
      value: dist,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xS, distS] = saved;
        const positive = tf.greater(distS, 0);
        // ratio_ij = dy_ij / d_ij (0 where d_ij = 0); dL/dx_i = sum_j (r_ij + r_ji)(x_i - x_j).
        const ratio = tf.where(
          positive,
          tf.div(dy, tf.where(positive, distS, tf.onesLike(distS))),
          tf.zerosLike(distS),
        );
        const r = tf.add(ratio, tf.transpose(ratio));
        return tf.sub(tf.mul(xS, tf.sum(r, 1, true)), tf.matMul(r, xS as tf.Tensor2D));
      },
    };
  });
  return op(x) as tf.Tensor2D;
}
