/** Every loss against pytorch-metric-learning 1.7.3 (scripts/fixtures/gen_losses.py): value and gradients. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { LOSS_NAMES } from '../../../../contracts/grid';
import { checkCase, loadCases } from './goldenCase';

for (const loss of LOSS_NAMES) {
  const cases = loadCases(loss);

  test(`${loss} fixture is present and covers several cases`, () => {
    assert.ok(cases.length >= 4, `only ${cases.length} cases`);
  });

  for (const c of cases) {
    test(`${loss} matches PML 1.7.3: ${c.name}`, () => {
      const before = tf.memory().numTensors;
      checkCase(c);
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    });
  }
}
