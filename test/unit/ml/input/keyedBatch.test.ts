import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DecodedItem } from '../../../../lib/data/decodeShards';
import { ShardFiles } from '../../../../lib/data/shardFiles';
import { transformBatch, type BatchSpec } from '../../../../lib/ml/input/keyedBatch';
import { backgroundCompositeInto, evalTransform, trainTransformInto } from '../../../../lib/ml/transforms/pipeline';
import { sampleStream } from '../../../../lib/util/sampleStreams';
import { makeShards, SMALL, type ShardFixture } from './shardFixture';

let fx: ShardFixture;
let items: DecodedItem[];
before(async () => {
  fx = await makeShards(12);
  const files = new ShardFiles(fx.files);
  items = await Promise.all(Array.from({ length: 12 }, (_, i) => files.read(i)));
  files.close();
});
after(() => fx.cleanup());

const px = SMALL.crop * SMALL.crop;
const streams = { seed: 9, split: 'train', epoch: 2, firstPosition: 30 };

test('sample i of a train batch draws from the key (seed, split, epoch, firstPosition + i): crop+flip, then its background', () => {
  const indices = [3, 1, 4, 1, 5];
  const spec: BatchSpec = { kind: 'train', source: 's', indices, streams, background: 'val', masks: true };
  const b = transformBatch(
    spec,
    indices.map((i) => items[i]),
    SMALL,
    fx.backgrounds,
  );
  indices.forEach((idx, i) => {
    const key = { seed: 9, split: 'train', epoch: 2, position: 30 + i } as const;
    const target = { image: new Float32Array(px * 3), imageOffset: 0, mask: new Float32Array(px), maskOffset: 0 };
    trainTransformInto(items[idx].image, items[idx].mask, SMALL, sampleStream({ ...key, purpose: 'image' }), target);
    const mask = Float32Array.from(target.mask);
    const bgRng = sampleStream({ ...key, purpose: 'background' });
    backgroundCompositeInto(bgRng.pick(fx.backgrounds), SMALL, bgRng, target);
    assert.deepEqual(b.images.subarray(i * px * 3, (i + 1) * px * 3), target.image, `sample ${i}`);
    // The returned mask is the sample's own (same crop and flip as its image), not the background's.
    assert.deepEqual(b.masks!.subarray(i * px, (i + 1) * px), mask, `mask ${i}`);
    assert.equal(b.labels[i], items[idx].label);
  });
  // The same item twice in a batch gets different draws (positions differ).
  assert.notDeepEqual(b.images.subarray(1 * px * 3, 2 * px * 3), b.images.subarray(3 * px * 3, 4 * px * 3));
});

test('batch boundaries do not matter: the draws follow the positions', () => {
  const indices = [0, 2, 4, 6, 8, 10];
  const whole = transformBatch(
    { kind: 'train', source: 's', indices, streams, background: 'val' },
    indices.map((i) => items[i]),
    SMALL,
    fx.backgrounds,
  );
  const a = transformBatch(
    { kind: 'train', source: 's', indices: indices.slice(0, 2), streams, background: 'val' },
    indices.slice(0, 2).map((i) => items[i]),
    SMALL,
    fx.backgrounds,
  );
  const rest = { ...streams, firstPosition: streams.firstPosition + 2 };
  const c = transformBatch(
    { kind: 'train', source: 's', indices: indices.slice(2), streams: rest, background: 'val' },
    indices.slice(2).map((i) => items[i]),
    SMALL,
    fx.backgrounds,
  );
  assert.deepEqual(whole.images, Float32Array.from([...a.images, ...c.images]));
});

test('eval batches: clean is the val transform (no draws); swapped composites every sample with a background draw', () => {
  const indices = [0, 1, 2, 3];
  const spec: BatchSpec = { kind: 'eval', source: 's', indices, streams: { ...streams, split: 'val' } };
  const clean = transformBatch(
    spec,
    indices.map((i) => items[i]),
    SMALL,
  );
  const swapped = transformBatch(
    { ...spec, background: 'val' },
    indices.map((i) => items[i]),
    SMALL,
    fx.backgrounds,
  );
  indices.forEach((idx, i) => {
    const e = evalTransform(items[idx].image, items[idx].mask, SMALL);
    assert.deepEqual(clean.images.subarray(i * px * 3, (i + 1) * px * 3), e.image);
    // p = 1: every sample changes (the masks are soft everywhere in the fixture).
    assert.notDeepEqual(swapped.images.subarray(i * px * 3, (i + 1) * px * 3), e.image, `sample ${i} not swapped`);
  });
});

test('errors name the sample, its item and what is wrong', () => {
  const bad = { ...items[0], id: 'odd.jpg', mask: { ...items[0].mask, width: items[0].mask.width - 1 } };
  const spec: BatchSpec = { kind: 'train', source: 's', indices: [7, 8], streams, background: 'val' };
  assert.throws(
    () => transformBatch(spec, [items[1], bad], SMALL, fx.backgrounds),
    /sample 1 \(s item 8, odd\.jpg\): mask is/,
  );
  assert.throws(() => transformBatch(spec, [items[1]], SMALL, fx.backgrounds), /1 items for 2 indices/);
  const { mask: _unused, ...noMask } = items[2];
  assert.throws(() => transformBatch(spec, [items[1], noMask], SMALL, fx.backgrounds), /item 8 has no mask/);
  // A plain training batch does not need masks at all.
  const plain = { ...spec, background: undefined };
  assert.equal(transformBatch(plain, [noMask, noMask], SMALL).size, 2);
  assert.throws(() => transformBatch(spec, [items[1], items[2]], SMALL, []), /background pool val is empty/);
  assert.throws(
    () => transformBatch({ ...spec, streams: { ...streams, firstPosition: -1 } }, [items[1], items[2]], SMALL),
    /firstPosition/,
  );
});
