import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { conv2dBiasRelu } from '../../../lib/ml/models/layers/convBiasRelu';
import { concatChannels, maxPoolReleasing } from '../../../lib/ml/models/layers/releasingOps';

/**
 * A miniature inception block: its input feeds three branches (so the tape sums gradient
 * contributions, which these ops free early), max pools and a channel concat. Built once from the
 * releasing ops and once from plain tfjs ops; values and gradients must agree, with no leaked tensors.
 */
function block(
  ops: 'releasing' | 'plain',
  x: tf.Tensor4D,
  w1: tf.Tensor4D,
  w3: tf.Tensor4D,
  b: tf.Tensor1D,
): tf.Scalar {
  const conv = (h: tf.Tensor4D, w: tf.Tensor4D) =>
    ops === 'releasing'
      ? conv2dBiasRelu(h, w, b, 1, 'same')
      : (tf.relu(tf.add(tf.conv2d(h, w, 1, 'same'), b)) as tf.Tensor4D);
  const pool = (h: tf.Tensor4D, s: number, pad: 'same' | 'valid') =>
    ops === 'releasing' ? maxPoolReleasing(h, 3, s, pad) : tf.maxPool(h, 3, s, pad);
  const cat = (hs: tf.Tensor4D[]) => (ops === 'releasing' ? concatChannels(hs) : (tf.concat(hs, 3) as tf.Tensor4D));
  const h = pool(conv(x, w1), 2, 'same');
  const y = cat([conv(h, w1), conv(conv(h, w1), w3), pool(h, 1, 'same')]);
  const z = pool(y, 2, 'valid');
  return tf.sum(
    tf.mul(
      z,
      tf
        .range(1, z.size + 1)
        .reshape(z.shape)
        .div(z.size),
    ),
  ) as tf.Scalar;
}

test('concatChannels and maxPoolReleasing: values and gradients equal tf.concat / tf.maxPool, no leaks', async () => {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([2, 9, 8, 4], 0, 1, 'float32', 7) as tf.Tensor4D;
  const w1 = tf.randomNormal([1, 1, 4, 4], 0, 0.7, 'float32', 8) as tf.Tensor4D;
  const w3 = tf.randomNormal([3, 3, 4, 4], 0, 0.3, 'float32', 9) as tf.Tensor4D;
  const b = tf.tensor1d([0.1, -0.1, 0.2, 0]);
  const before = tf.memory().numTensors;
  for (let rep = 0; rep < 2; rep++) {
    const ours = tf.valueAndGrads((a, c, d, e) =>
      block('releasing', a as tf.Tensor4D, c as tf.Tensor4D, d as tf.Tensor4D, e as tf.Tensor1D),
    )([x, w1, w3, b]);
    const ref = tf.valueAndGrads((a, c, d, e) =>
      block('plain', a as tf.Tensor4D, c as tf.Tensor4D, d as tf.Tensor4D, e as tf.Tensor1D),
    )([x, w1, w3, b]);
    assert.ok(
      Math.abs(ours.value.dataSync()[0] - ref.value.dataSync()[0]) < 1e-5 * Math.abs(ref.value.dataSync()[0]),
      'value',
    );
    ['x', 'w1', 'w3', 'b'].forEach((name, i) => {
      const err = tf.tidy(() => tf.max(tf.abs(tf.sub(ours.grads[i], ref.grads[i]))).dataSync()[0]);
      const scale = tf.tidy(() => tf.max(tf.abs(ref.grads[i])).dataSync()[0]);
      assert.ok(scale > 0 && err <= 1e-5 * scale, `${name} gradient: max err ${err}, scale ${scale}`);
    });
    tf.dispose([ours.value, ref.value, ...ours.grads, ...ref.grads]);
    assert.equal(tf.memory().numTensors, before, `no leaked tensors (round ${rep + 1})`);
  }
  tf.dispose([x, w1, w3, b]);
});

test('concatChannels rejects an empty list', () => {
  assert.throws(() => concatChannels([]), /concatChannels: no tensors/);
});
