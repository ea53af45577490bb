import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { checkCase, loadCases } from './goldenCase';

const cases = loadCases('contrastive');

test('contrastive fixture is present and covers several cases', () => {
  assert.ok(cases.length >= 4, `only ${cases.length} cases`);
});

for (const c of cases) {
  test(`contrastive matches PML 1.7.3: ${c.name}`, () => {
    const before = tf.memory().numTensors;
    checkCase(c);
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  });
}
