import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { l2Normalize, NORMALIZE_EPS } from '../../../../lib/ml/ops/l2Normalize';

// Independent expected values: the plain formula x / max(sqrt(sum x^2), eps), whose tfjs autograd
// gradient is correct wherever the norm is positive; and at a zero row, torch's F.normalize
// (x / norm.clamp_min(eps)), whose gradient there is dy / eps (the clamp passes no gradient below eps).

function plain(x: tf.Tensor2D, axis: 0 | 1): tf.Tensor2D {
  return tf.div(x, tf.maximum(tf.norm(x, 'euclidean', axis, true), NORMALIZE_EPS)) as tf.Tensor2D;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Number.isFinite(actual[i]), `${what}[${i}] = ${actual[i]} is not finite`);
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

// A fixed upstream gradient, so the test checks the full vector-Jacobian product, not only sum().
function weightedSum(y: tf.Tensor2D, w: tf.Tensor2D): tf.Scalar {
  return tf.sum(tf.mul(y, w));
}

for (const axis of [1, 0] as const) {
  test(`axis ${axis}: value and gradient equal the plain formula away from zero`, () => {
    tf.tidy(() => {
      const x = tf.tensor2d([0.3, -1.2, 2.5, 0.01, 4, -0.5, 1e-3, 2e-3, 7], [3, 3]);
      const w = tf.tensor2d([0.7, -0.2, 1.1, 0.4, 0.9, -1.3, 0.5, 0.25, -0.6], [3, 3]);
      close(l2Normalize(x, axis).dataSync(), plain(x, axis).dataSync(), 1e-6, 'value');
      const ours = tf.grad((t: tf.Tensor) => weightedSum(l2Normalize(t as tf.Tensor2D, axis), w))(x);
      const ref = tf.grad((t: tf.Tensor) => weightedSum(plain(t as tf.Tensor2D, axis), w))(x);
      close(ours.dataSync(), ref.dataSync(), 1e-5, 'gradient');
    });
  });
}

test('a zero row: finite gradient dy / eps (torch), where the plain tf.norm formula gives NaN', () => {
  tf.tidy(() => {
    const x = tf.tensor2d([0, 0, 0, 3, 4, 0], [2, 3]);
    const w = tf.tensor2d([0.5, -1, 2, 1, 1, 1], [2, 3]);
    const ours = tf
      .grad((t: tf.Tensor) => weightedSum(l2Normalize(t as tf.Tensor2D), w))(x)
      .dataSync();
    const plainGrad = tf
      .grad((t: tf.Tensor) => weightedSum(plain(t as tf.Tensor2D, 1), w))(x)
      .dataSync();
    // The reason this op exists: tf.norm's gradient at a zero row is NaN.
    assert.ok(
      [0, 1, 2].some((i) => Number.isNaN(plainGrad[i])),
      `plain gradient at zero: ${plainGrad.slice(0, 3)}`,
    );
    // Zero row: d(x / eps)/dx . dy = dy / eps.
    close(ours.slice(0, 3), [0.5 / NORMALIZE_EPS, -1 / NORMALIZE_EPS, 2 / NORMALIZE_EPS], 1e-6, 'zero row');
    // Row (3, 4, 0), |x| = 5, y = (0.6, 0.8, 0): (dy - y <dy, y>) / |x| with <dy, y> = 1.4, by hand.
    close(ours.slice(3), [(1 - 0.6 * 1.4) / 5, (1 - 0.8 * 1.4) / 5, 1 / 5], 1e-6, 'unit row');
    assert.deepEqual(Array.from(l2Normalize(x).dataSync()), [0, 0, 0, 0.6000000238418579, 0.800000011920929, 0]);
  });
});
