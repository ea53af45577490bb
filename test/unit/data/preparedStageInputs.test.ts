import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveExperiment } from '../../../configs/resolve';
import { DATASET_SOURCES } from '../../../configs/paper/datasets';
import { preparedStageInputs } from '../../../activities/realDataset/preparedInputs';
import { stageDigest } from '../../../lib/store/digest';

const archives = [{ name: 'CUB_200_2011.tgz', md5: '97eceeb196236b17998738112f37df78' }];

function digest(overrides: Record<string, unknown>): string {
  const config = resolveExperiment({ preset: 'paper', overrides });
  return stageDigest(
    'dataset-cub200',
    1,
    preparedStageInputs(config, 'cub200', archives, DATASET_SOURCES.cub200.expected),
    [],
  );
}

test('the prepared stage digest follows data.preparedFormat (shards of one format are never reused for another)', () => {
  const png = digest({});
  assert.equal(resolveExperiment({ preset: 'paper' }).data.preparedFormat, 'png');
  assert.equal(digest({}), png, 'same settings, same digest');
  const jpeg420 = digest({ 'data.preparedFormat': 'jpeg-420' });
  const jpeg444 = digest({ 'data.preparedFormat': 'jpeg-444' });
  assert.equal(new Set([png, jpeg420, jpeg444]).size, 3);
  assert.notEqual(digest({ 'data.preparedShortSide': 128 }), png);
});

test('data.preparedFormat rejects an unknown format, naming the field', () => {
  assert.throws(
    () => resolveExperiment({ preset: 'paper', overrides: { 'data.preparedFormat': 'webp' } }),
    /data\.preparedFormat/,
  );
});
