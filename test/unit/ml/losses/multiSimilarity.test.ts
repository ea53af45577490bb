import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { checkCase, loadCases } from './goldenCase';

const cases = loadCases('multi_similarity');

test('multi_similarity fixture is present and covers several cases', () => {
  assert.ok(cases.length >= 4, `only ${cases.length} cases`);
});

for (const c of cases) {
  test(`multi_similarity matches PML 1.7.3: ${c.name}`, () => {
    const before = tf.memory().numTensors;
    checkCase(c);
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  });
}
