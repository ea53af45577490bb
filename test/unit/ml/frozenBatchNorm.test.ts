import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../lib/ml/backend';
import { foldFrozenBatchNorm, isFrozenBatchNormStatistic } from '../../../lib/ml/models/layers/frozenBatchNorm';

before(async () => {
  await initBackend();
});

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

test('folded conv equals conv + bias + BatchNorm in inference mode, values and gradients', () => {
  tf.tidy(() => {
    const x = tf.randomNormal([2, 7, 7, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 5], 0, 0.3, 'float32', 2) as tf.Tensor4D;
    const b = tf.randomNormal([5], 0, 1, 'float32', 3) as tf.Tensor1D;
    const gamma = tf.randomUniform([5], 0.5, 1.5, 'float32', 4) as tf.Tensor1D;
    const beta = tf.randomNormal([5], 0, 1, 'float32', 5) as tf.Tensor1D;
    const mean = tf.randomNormal([5], 0, 1, 'float32', 6) as tf.Tensor1D;
    const variance = tf.randomUniform([5], 0.1, 2, 'float32', 7) as tf.Tensor1D;
    const eps = 1e-5;
    // Independent path: tfjs's own batchNorm with the running statistics (what PyTorch's eval() BN does).
    const explicit = (w: tf.Tensor4D, b: tf.Tensor1D, g: tf.Tensor1D, be: tf.Tensor1D) =>
      tf.batchNorm(tf.add(tf.conv2d(x, w, 1, 'same'), b), mean, variance, be, g, eps);
    const folded = (w: tf.Tensor4D, b: tf.Tensor1D, g: tf.Tensor1D, be: tf.Tensor1D) => {
      const f = foldFrozenBatchNorm(w, b, { gamma: g, beta: be, runningMean: mean, runningVar: variance, eps });
      return tf.add(tf.conv2d(x, f.filter, 1, 'same'), f.shift);
    };
    const want = explicit(w, b, gamma, beta);
    assert.ok(maxAbsDiff(folded(w, b, gamma, beta), want) < 1e-4);
    // gamma and beta (and the conv) still train: the same gradients through both paths.
    const loss = (f: typeof folded) => (w: tf.Tensor, b: tf.Tensor, g: tf.Tensor, be: tf.Tensor) =>
      tf.sum(tf.square(f(w as tf.Tensor4D, b as tf.Tensor1D, g as tf.Tensor1D, be as tf.Tensor1D)));
    const gradsFolded = tf.grads(loss(folded))([w, b, gamma, beta]);
    const gradsExplicit = tf.grads(loss(explicit))([w, b, gamma, beta]);
    for (const [i, name] of ['weight', 'bias', 'gamma', 'beta'].entries()) {
      const scale = tf.max(tf.abs(gradsExplicit[i])).dataSync()[0];
      assert.ok(scale > 0, name);
      assert.ok(maxAbsDiff(gradsFolded[i], gradsExplicit[i]) < 1e-4 * scale, `gradient of ${name}`);
    }
  });
});

test('only the running statistics are frozen', () => {
  assert.equal(isFrozenBatchNormStatistic('conv1_7x7_s2_bn.running_mean'), true);
  assert.equal(isFrozenBatchNormStatistic('conv1_7x7_s2_bn.running_var'), true);
  assert.equal(isFrozenBatchNormStatistic('conv1_7x7_s2_bn.weight'), false);
  assert.equal(isFrozenBatchNormStatistic('conv1_7x7_s2_bn.bias'), false);
  assert.equal(isFrozenBatchNormStatistic('embedder.weight'), false);
});
