/**
 * The mask parts' store address (activities/realDataset/preparedInputs.ts maskPartsAddress) and how
 * images are split into parts. Stores written before the parts were fanned out must stay valid: at
 * the default `data.masks.chunkImages` (500, the old fixed part size) the digest is the one the old
 * code computed (golden value from main at ce10563/4f76de2, buildPrepared's inline formula).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveExperiment } from '../../../configs/resolve';
import { DATASET_SOURCES } from '../../../configs/paper/datasets';
import { maskPartsAddress, preparedStageInputs } from '../../../activities/realDataset/preparedInputs';
import { partCount, partImages } from '../../../activities/realDataset/storedMasks';

const ARCHIVES = [
  { name: 'segmentations.tgz', md5: '4d47ba1228eae64f2fa547c47bc65255' },
  { name: 'CUB_200_2011.tgz', md5: '97eceeb196236b17998738112f37df78' },
];

function address(overrides: Record<string, unknown> = {}) {
  const config = resolveExperiment({ preset: 'paper', overrides: { experiment: 'golden', ...overrides } });
  return maskPartsAddress(config, preparedStageInputs(config, 'cub200', ARCHIVES, DATASET_SOURCES.cub200.expected));
}

test('at the default part size the mask digest is the one stores already hold', () => {
  const a = address();
  assert.equal(a.partSize, 500);
  assert.equal(a.prefix, 'masks/cub200/59c05326312738143acecd2c67ae58cc9a558a0a93ffe6199a984391dde0d2e5');
});

test('another part size is another address; an operational setting is not', () => {
  assert.notEqual(address({ 'data.masks.chunkImages': 25 }).maskDigest, address().maskDigest);
  assert.equal(address({ experiment: 'other', 'storage.bucket': 'other-bucket' }).maskDigest, address().maskDigest);
});

test('parts are contiguous slices of the image order covering every image once', () => {
  const images = Array.from({ length: 1203 }, (_, i) => `img${i}.jpg`);
  assert.equal(partCount(images.length, 500), 3);
  assert.equal(partCount(120_053, 500), 241);
  const parts = Array.from({ length: 3 }, (_, p) => partImages(images, 500, p));
  assert.deepEqual(
    parts.map((p) => p.length),
    [500, 500, 203],
  );
  assert.deepEqual(parts.flat(), images);
});
