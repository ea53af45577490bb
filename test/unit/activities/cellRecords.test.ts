import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCellRecord, upgradeStoredCellRecord } from '../../../activities/cells';
import type { CellRecord } from '../../../activities/types';

const rep = { mean: 0.5, std: 0.1, reps: [0.4, 0.6] };
const swapped = { mapAtR: rep, precisionAt1: rep, rPrecision: rep };
const today = {
  cell: { dataset: 'synthetic', loss: 'arcface', mode: 'bgaugment', seed: 1 },
  cellId: 'synthetic/arcface/bgaugment/s1',
  train: { digest: 't', monitored: 'swapped', bestEpoch: 3 },
  evaluation: { digest: 'e', clean: { mapAtR: 0.9, precisionAt1: 1, rPrecision: 0.9 }, swapped },
} as unknown as CellRecord;

test('a cell record stored with the old name "corrupted" reads as today\'s record', async () => {
  const old = JSON.parse(JSON.stringify(today));
  old.evaluation = { digest: 'e', clean: today.evaluation.clean, corrupted: swapped };
  old.train.monitored = 'corrupted';
  assert.deepEqual(upgradeStoredCellRecord(old), today);
  // Through the store interface the report stage and listTrainedCells use.
  assert.deepEqual(await readCellRecord({ getJson: async () => old } as never, 'e/cells/x.json'), today);
  // The stored object itself is left alone.
  assert.ok('corrupted' in old.evaluation);
});

test("today's records pass unchanged; a base cell's monitored metric stays clean", () => {
  assert.deepEqual(upgradeStoredCellRecord(today), today);
  const base = { ...today, train: { ...today.train, monitored: 'clean' } };
  assert.deepEqual(upgradeStoredCellRecord(base), base);
});
