import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compositeBackground } from '../../../../lib/ml/transforms/composite';
import { floats, loadTransformFixture, maxAbsDiff } from './fixtureIo';

const c = loadTransformFixture('transforms.json').composite;

// Tolerance: none; each of torch's four float32 operations is rounded to float32 the same way.
test('compositeBackground equals torch x*m + bg*(1-m) on normalised tensors, bit for bit', () => {
  const out = compositeBackground(floats(c.image), floats(c.mask), floats(c.background));
  assert.equal(maxAbsDiff(out, floats(c.out)), 0);
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
