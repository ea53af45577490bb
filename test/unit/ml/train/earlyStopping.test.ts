import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advanceEarlyStopping, EARLY_STOPPING_START, type EarlyStopping } from '../../../../lib/ml/train/earlyStopping';

/** Runs a sequence of improved/not-improved epochs; returns the epoch (1-based) training stopped after. */
function stopEpoch(improvements: boolean[], patience: number, start: EarlyStopping = EARLY_STOPPING_START) {
  let s = start;
  for (const [i, improved] of improvements.entries()) {
    s = advanceEarlyStopping(s, improved, patience);
    if (s.stopped) return { epoch: i + 1, state: s };
  }
  return { epoch: undefined, state: s };
}

test('stops after `patience` epochs in a row without improvement, not before', () => {
  // patience 3: epochs 2-3 bad, 4 improves (counter reset), 5-7 bad -> stop after epoch 7.
  const r = stopEpoch([true, false, false, true, false, false, false, true], 3);
  assert.equal(r.epoch, 7);
  assert.deepEqual(r.state, { badEpochs: 3, stopped: true });
  assert.equal(stopEpoch([true, false, false, true, false, false], 3).epoch, undefined);
  assert.deepEqual(stopEpoch([true, false, false, true, false, false], 3).state, { badEpochs: 2, stopped: false });
});

test('patience 1 stops at the first epoch without improvement; an improving run never stops', () => {
  assert.equal(stopEpoch([true, true, false], 1).epoch, 3);
  assert.equal(stopEpoch(Array(50).fill(true), 1).epoch, undefined);
});

test('a resumed counter goes on counting: 2 bad epochs restored + 1 more = patience 3', () => {
  const restored: EarlyStopping = JSON.parse(JSON.stringify({ badEpochs: 2, stopped: false }));
  assert.deepEqual(advanceEarlyStopping(restored, false, 3), { badEpochs: 3, stopped: true });
  // The same epochs uninterrupted stop at the same point.
  assert.equal(stopEpoch([true, false, false, false], 3).epoch, 4);
  assert.equal(stopEpoch([false], 3, restored).epoch, 1);
});

test('only the early-stopping fields come back, and a bad patience is named', () => {
  const state = { epoch: 7, badEpochs: 1, stopped: false, history: [1, 2] };
  assert.deepEqual(advanceEarlyStopping(state, false, 5), { badEpochs: 2, stopped: false });
  assert.throws(
    () => advanceEarlyStopping(EARLY_STOPPING_START, false, 0),
    /patience must be a positive integer, got 0/,
  );
});
