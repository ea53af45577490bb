import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  monitoredMetricFor,
  monitoredValue,
  NO_BEST_EPOCH,
  selectBestEpoch,
  type BestEpoch,
} from '../../../../lib/ml/train/checkpointSelection';

const scores = (clean: number, swapped: number) => ({
  clean: { mapAtR: clean, precisionAt1: 1, rPrecision: 1 },
  swapped: { mapAtR: swapped, precisionAt1: 0, rPrecision: 0 },
});

test('base monitors clean val MAP@R, BGAugment swapped val MAP@R (docs/protocol.md section 7)', () => {
  assert.equal(monitoredMetricFor('base'), 'clean');
  assert.equal(monitoredMetricFor('bgaugment'), 'swapped');
  assert.equal(monitoredValue(scores(0.8, 0.3), monitoredMetricFor('base')), 0.8);
  assert.equal(monitoredValue(scores(0.8, 0.3), monitoredMetricFor('bgaugment')), 0.3);
});

test('the best epoch is the first with the highest metric: strictly greater improves, ties and NaN do not', () => {
  let best: BestEpoch = NO_BEST_EPOCH;
  const improved: boolean[] = [];
  for (const [i, metric] of [0.5, 0.6, 0.6, NaN, 0.55, 0.61, 0.61].entries()) {
    const r = selectBestEpoch(best, i + 1, metric);
    improved.push(r.improved);
    best = { bestEpoch: r.bestEpoch, bestMetric: r.bestMetric };
  }
  assert.deepEqual(improved, [true, true, false, false, false, true, false]);
  assert.deepEqual(best, { bestEpoch: 6, bestMetric: 0.61 });
});

test('any first metric improves on no best epoch; only the two fields come back', () => {
  assert.deepEqual(selectBestEpoch(NO_BEST_EPOCH, 0, 0), { bestEpoch: 0, bestMetric: 0, improved: true });
  const state = { epoch: 4, bestEpoch: 2, bestMetric: 0.7, history: [] };
  assert.deepEqual(selectBestEpoch(state, 5, 0.1), { bestEpoch: 2, bestMetric: 0.7, improved: false });
});
