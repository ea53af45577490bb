import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { compositeBackground, compositeBackgroundBatch } from '../../../../lib/ml/transforms/composite';
import { floats, loadTransformFixture, maxAbsDiff } from './fixtureIo';

const c = loadTransformFixture('transforms.json').composite;

// Tolerance: none; each of torch's four float32 operations is rounded to float32 the same way.
test('compositeBackground equals torch x*m + bg*(1-m) on normalised tensors, bit for bit', () => {
  const out = compositeBackground(floats(c.image), floats(c.mask), floats(c.background));
  assert.equal(maxAbsDiff(out, floats(c.out)), 0);
});

test('batched tf version equals the reference too, and keeps tensors tidy', async () => {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  const x = tf.tensor4d(floats(c.image), [1, c.height, c.width, 3]);
  const bg = tf.tensor4d(floats(c.background), [1, c.height, c.width, 3]);
  const m = tf.tensor4d(floats(c.mask), [1, c.height, c.width, 1]);
  const out = compositeBackgroundBatch(x, m, bg);
  assert.ok(maxAbsDiff(out.dataSync(), floats(c.out)) <= 1e-4);
  tf.dispose([x, bg, m, out]);
  assert.equal(tf.memory().numTensors, before);
});

test('mismatched sizes are rejected', () => {
  assert.throws(
    () => compositeBackground(new Float32Array(6), new Float32Array(2), new Float32Array(3)),
    /background has 3 values/,
  );
  assert.throws(
    () => compositeBackground(new Float32Array(6), new Float32Array(4), new Float32Array(6)),
    /not a multiple/,
  );
});
