import * as tf from '@tensorflow/tfjs';

/** torch.nn.functional.normalize's default eps: rows shorter than this are divided by eps instead. */
export const NORMALIZE_EPS = 1e-12;

/**
 * Rows (or columns, axis 0) scaled to unit L2 norm, as torch.nn.functional.normalize(x, p=2, dim):
 * x / max(||x||, eps). The one L2 normalisation of the project: the models' embedders (F.normalize in
 * the reference), the losses (PML normalises inside every distance, so gradients w.r.t. the raw
 * embeddings pass through this projection even when the inputs are already unit length) and the
 * attribution's distance to the black-image embedding.
 *
 * A custom gradient because tf.norm's gradient is NaN at a zero row (d sqrt(s)/ds = inf at s = 0,
 * times 0); torch's clamp gives dy / eps there. A NaN gradient would poison every weight in one
 * RMSprop step, or an attention map, from a single all-zero embedding (e.g. a dead ReLU trunk).
 */
export function l2Normalize(x: tf.Tensor2D, axis: 0 | 1 = 1): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const norm = tf.sqrt(tf.sum(tf.square(input), axis, true));
    const divisor = tf.maximum(norm, NORMALIZE_EPS);
    const y = tf.div(input, divisor);
    save([y, norm, divisor]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [yS, normS, divS] = saved;
        // d(x/|x|) = (dy - y <dy, y>) / |x| where the norm is above eps; d(x/eps) = dy / eps below.
        const projected = tf.div(tf.sub(dy, tf.mul(yS, tf.sum(tf.mul(dy, yS), axis, true))), divS);
        return tf.where(tf.greaterEqual(normS, NORMALIZE_EPS), projected, tf.div(dy, divS));
      },
    };
  });
  return op(x) as tf.Tensor2D;
}
