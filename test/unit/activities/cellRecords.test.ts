import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCellRecord, upgradeStoredCellRecord } from '../../../activities/cells';
import type { CellRecord } from '../../../activities/types';
import { withContentHash } from '../../../lib/store/integrity';

const rep = { mean: 0.5, std: 0.1, reps: [0.4, 0.6] };
const swapped = { mapAtR: rep, precisionAt1: rep, rPrecision: rep };
const today = {
  cell: { dataset: 'synthetic', loss: 'arcface', mode: 'bgaugment', seed: 1 },
  cellId: 'synthetic/arcface/bgaugment/s1',
  dataset: { prefix: 'e/prepare/d', digest: 'd'.repeat(64), cached: true, dataset: 'synthetic', splits: {} },
  backgrounds: { prefix: 'e/backgrounds/b', digest: 'b'.repeat(64), cached: true, pools: {} },
  train: {
    prefix: 'e/train/t',
    digest: 'a'.repeat(64),
    cached: false,
    monitored: 'swapped',
    bestEpoch: 3,
    epochsTrained: 4,
    bestWeightsKey: 'e/train/t/best.bgwt',
    historyKey: 'e/train/t/history.json',
    trainSeconds: 12.5,
  },
  evaluation: {
    prefix: 'e/evaluate/e',
    digest: 'e'.repeat(64),
    cached: false,
    clean: { mapAtR: 0.9, precisionAt1: 1, rPrecision: 0.9 },
    swapped,
  },
} as unknown as CellRecord;

test('a cell record stored with the old name "corrupted" reads as today\'s record', async () => {
  const old = JSON.parse(JSON.stringify(today));
  old.evaluation = { ...today.evaluation, corrupted: swapped };
  delete old.evaluation.swapped;
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

test('a cell record is checked against its content hash and its schema: a mismatch names the object', async () => {
  const stored = withContentHash(JSON.parse(JSON.stringify(today)));
  const store = (value: unknown) => ({ bucket: 'bk', getJson: async () => value }) as never;
  assert.deepEqual(await readCellRecord(store(stored), 'e/cells/x.json'), stored);
  // An edited metric: the hash it carries no longer matches.
  const edited = structuredClone(stored);
  edited.evaluation.clean.mapAtR = 0.5;
  await assert.rejects(
    readCellRecord(store(edited), 'e/cells/x.json'),
    /^IntegrityError: corrupt object s3:\/\/bk\/e\/cells\/x\.json: content hash mismatch \(expected [0-9a-f]{64}, actual [0-9a-f]{64}\)$/,
  );
  // Unhashed (older) records are still read, but through the schema: a metric above 1 is refused.
  const bad = JSON.parse(JSON.stringify(today));
  bad.evaluation.clean.mapAtR = 50;
  await assert.rejects(
    readCellRecord(store(bad), 'e/cells/x.json'),
    /corrupt object s3:\/\/bk\/e\/cells\/x\.json: schema mismatch .*evaluation\.clean\.mapAtR: Too big/,
  );
});
