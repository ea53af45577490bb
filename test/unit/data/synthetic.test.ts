import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import {
  encodeSyntheticSplit,
  generateSyntheticDataset,
  renderBackground,
  renderObject,
  type SyntheticItem,
} from '../../../lib/data/synthetic';
import { shapeOf } from '../../../lib/data/synthetic/shapes';
import { FractalNoise } from '../../../lib/data/synthetic/noise';
import { Rng } from '../../../lib/util/rng';
import { decodeShard } from '../../../lib/data/shardFormat';

const small = { seed: 'unit', size: 48, classes: { train: 3, val: 2, test: 2 }, imagesPerClass: 4 };

test('the same seed gives identical pixels; another seed gives different ones', () => {
  const a = generateSyntheticDataset(small);
  const b = generateSyntheticDataset(small);
  const c = generateSyntheticDataset({ ...small, seed: 'other' });
  for (const split of ['train', 'val', 'test'] as const) {
    assert.equal(a.splits[split].length, b.splits[split].length);
    a.splits[split].forEach((it, k) => {
      assert.deepEqual(it.image.data, b.splits[split][k].image.data, `${it.id} image differs between runs`);
      assert.deepEqual(it.mask.data, b.splits[split][k].mask.data, `${it.id} mask differs between runs`);
    });
  }
  assert.notDeepEqual(a.splits.train[0].image.data, c.splits.train[0].image.data);
});

test('adding images per class leaves the existing items unchanged (one random stream per item)', () => {
  const a = generateSyntheticDataset(small);
  const b = generateSyntheticDataset({ ...small, imagesPerClass: 6 });
  const byId = new Map(b.splits.test.map((it) => [it.id, it]));
  for (const it of a.splits.test) assert.deepEqual(it.image.data, byId.get(it.id)!.image.data, it.id);
});

test('counts, sizes and class-disjoint splits with global labels', () => {
  const ds = generateSyntheticDataset(small);
  assert.deepEqual(ds.numClasses, { train: 3, val: 2, test: 2 });
  const labels = (s: SyntheticItem[]) => [...new Set(s.map((i) => i.label))].sort((x, y) => x - y);
  assert.deepEqual(labels(ds.splits.train), [0, 1, 2]);
  assert.deepEqual(labels(ds.splits.val), [3, 4]);
  assert.deepEqual(labels(ds.splits.test), [5, 6]);
  for (const split of ['train', 'val', 'test'] as const) {
    assert.equal(ds.splits[split].length, ds.numClasses[split] * 4);
    for (const it of ds.splits[split]) {
      assert.equal(it.image.width, 48);
      assert.equal(it.image.height, 48);
      assert.equal(it.image.data.length, 48 * 48 * 3);
      assert.equal(it.mask.data.length, 48 * 48);
      assert.ok(it.id.startsWith(`${split}/`), it.id);
    }
  }
  const ids = Object.values(ds.splits)
    .flat()
    .map((i) => i.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
});

test('the mask is exactly the object: re-rendered mask, object colour under 255, background under 0', () => {
  const ds = generateSyntheticDataset(small);
  let soft = 0;
  for (const it of [...ds.splits.train, ...ds.splits.test]) {
    const obj = renderObject(it.spec.object, it.spec.size);
    const bg = renderBackground(it.spec.background, it.spec.size);
    assert.deepEqual(obj.mask.data, it.mask.data, `${it.id}: re-rendered mask differs`);
    for (let i = 0; i < it.mask.data.length; i++) {
      const m = it.mask.data[i];
      if (m > 0 && m < 255) soft++;
      const want = m === 255 ? obj.colour.data : m === 0 ? bg.data : null;
      if (!want) continue;
      for (let c = 0; c < 3; c++)
        assert.equal(it.image.data[i * 3 + c], want[i * 3 + c], `${it.id} pixel ${i} (mask ${m})`);
    }
  }
  assert.ok(soft > 100, `masks should have anti-aliased (soft) edges, found ${soft} soft pixels`);
});

test('soft mask values equal the pixel coverage measured by 8x8 supersampling of the shape', () => {
  const ds = generateSyntheticDataset({ ...small, size: 40 });
  for (const it of ds.splits.train.slice(0, 6)) {
    const o = it.spec.object;
    const shape = shapeOf(o.shape);
    const cos = Math.cos(o.rotation),
      sin = Math.sin(o.rotation);
    let total = 0,
      maxErr = 0;
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < 40; x++) {
        let inside = 0;
        for (let sy = 0; sy < 8; sy++) {
          for (let sx = 0; sx < 8; sx++) {
            const dx = x + (sx + 0.5) / 8 - o.cx,
              dy = y + (sy + 0.5) / 8 - o.cy;
            if (shape.sdf((dx * cos + dy * sin) / o.scale, (-dx * sin + dy * cos) / o.scale) < 0) inside++;
          }
        }
        const err = Math.abs(it.mask.data[y * 40 + x] / 255 - inside / 64);
        maxErr = Math.max(maxErr, err);
        total += inside / 64;
      }
    }
    const maskArea = it.mask.data.reduce((s, v) => s + v / 255, 0);
    assert.ok(
      Math.abs(maskArea - total) / total < 0.02,
      `${it.id} (${o.shape}): mask area ${maskArea} vs supersampled ${total}`,
    );
    // the analytic area of the shape scaled to pixels, an independent check of the geometry
    assert.ok(Math.abs(maskArea - shape.area * o.scale ** 2) / maskArea < 0.03, `${it.id}: area vs analytic`);
    assert.ok(maxErr < 0.3, `${it.id} (${o.shape}): worst pixel coverage error ${maxErr}`);
  }
});

test('objects cover 10-40% of the image', () => {
  const ds = generateSyntheticDataset({ ...small, size: 72, imagesPerClass: 6 });
  for (const it of Object.values(ds.splits).flat()) {
    const frac = it.mask.data.reduce((s, v) => s + v, 0) / 255 / (72 * 72);
    assert.ok(frac >= 0.1 && frac <= 0.4, `${it.id}: object covers ${frac.toFixed(3)} of the image`);
  }
});

/** Nearest-centroid accuracy: centroids from the first half of each class, tested on the second half. */
function nearestCentroidAccuracy(items: SyntheticItem[], feature: (it: SyntheticItem) => number[]): number {
  const byClass = new Map<number, number[][]>();
  for (const it of items) {
    if (!byClass.has(it.label)) byClass.set(it.label, []);
    byClass.get(it.label)!.push(feature(it));
  }
  const centroids = [...byClass].map(([label, fs]) => {
    const half = fs.slice(0, fs.length / 2);
    return { label, c: half[0].map((_, d) => half.reduce((s, f) => s + f[d], 0) / half.length) };
  });
  let right = 0,
    n = 0;
  for (const [label, fs] of byClass) {
    for (const f of fs.slice(fs.length / 2)) {
      const dist = (c: number[]) => c.reduce((s, v, d) => s + (v - f[d]) ** 2, 0);
      const best = centroids.reduce((a, b) => (dist(b.c) < dist(a.c) ? b : a));
      n++;
      if (best.label === label) right++;
    }
  }
  return right / n;
}

/** Mean and std of the RGB values of the pixels whose mask satisfies `select`. */
function colourStats(it: SyntheticItem, select: (m: number) => boolean): number[] {
  const sum = [0, 0, 0],
    sq = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < it.mask.data.length; i++) {
    if (!select(it.mask.data[i])) continue;
    n++;
    for (let c = 0; c < 3; c++) {
      const v = it.image.data[i * 3 + c];
      sum[c] += v;
      sq[c] += v * v;
    }
  }
  const mean = sum.map((s) => s / n);
  return [...mean, ...sq.map((s, c) => Math.sqrt(Math.max(0, s / n - mean[c] ** 2)))];
}

test('both signals identify the class: background alone and object alone', () => {
  const ds = generateSyntheticDataset({
    seed: 3,
    size: 48,
    classes: { train: 2, val: 1, test: 16 },
    imagesPerClass: 10,
  });
  const test16 = ds.splits.test;
  // background: a coarse colour histogram of the background pixels only (4 levels per channel). The
  // settings are cluttered like photos (distractors, stray colours, shadows), so this crude feature
  // is far from perfect, but far above chance: the palette is the class's
  const bgAcc = nearestCentroidAccuracy(test16, (it) => {
    const h = new Array<number>(64).fill(0);
    let n = 0;
    for (let i = 0; i < it.mask.data.length; i++) {
      if (it.mask.data[i] !== 0) continue;
      const p = it.image.data;
      h[(p[i * 3] >> 6) * 16 + (p[i * 3 + 1] >> 6) * 4 + (p[i * 3 + 2] >> 6)]++;
      n++;
    }
    return h.map((v) => v / n);
  });
  // object: colour statistics of object-only pixels plus the mask's shape (edge pixels^2 / area)
  const objAcc = nearestCentroidAccuracy(test16, (it) => {
    const area = it.mask.data.reduce((s, v) => s + v / 255, 0);
    const edge = it.mask.data.reduce((s, v) => s + (v > 0 && v < 255 ? 1 : 0), 0);
    return [...colourStats(it, (m) => m === 255), (3 * edge * edge) / area];
  });
  assert.ok(bgAcc >= 0.6, `background-only nearest-centroid accuracy ${bgAcc} (chance 1/16)`);
  assert.ok(objAcc >= 0.85, `object-only nearest-centroid accuracy ${objAcc} (chance 1/16)`);
});

test('FractalNoise: deterministic per seed, within 0..1, continuous, and not flat', () => {
  const a = new FractalNoise(Rng.fromSeed('n'), 3, 4);
  const b = new FractalNoise(Rng.fromSeed('n'), 3, 4);
  const c = new FractalNoise(Rng.fromSeed('m'), 3, 4);
  let sum = 0,
    sq = 0,
    n = 0,
    differs = 0,
    maxStep = 0;
  for (let i = 0; i < 40; i++) {
    for (let j = 0; j < 40; j++) {
      const u = i / 37 - 0.3,
        v = j / 41 + 0.2;
      const x = a.at(u, v);
      assert.equal(x, b.at(u, v));
      if (x !== c.at(u, v)) differs++;
      assert.ok(x >= 0 && x <= 1, `noise ${x} at (${u}, ${v})`);
      maxStep = Math.max(maxStep, Math.abs(a.at(u + 1e-4, v) - x), Math.abs(a.at(u, v + 1e-4) - x));
      sum += x;
      sq += x * x;
      n++;
    }
  }
  assert.ok(differs > n * 0.95, 'another seed gives other values');
  assert.ok(maxStep < 0.01, `noise jumps by ${maxStep} over 1e-4 (should be continuous)`);
  assert.ok(Math.sqrt(sq / n - (sum / n) ** 2) > 0.05, 'noise is not flat');
  assert.throws(() => new FractalNoise(Rng.fromSeed(1), 0, 3), /baseCells 0/);
  assert.throws(() => new FractalNoise(Rng.fromSeed(1), 2, 0), /octaves 0/);
});

test('bad configs are rejected naming the field', () => {
  assert.throws(() => generateSyntheticDataset({ ...small, size: 4 }), /size/);
  assert.throws(() => generateSyntheticDataset({ ...small, imagesPerClass: 1 }), /imagesPerClass/);
  assert.throws(
    () => generateSyntheticDataset({ ...small, classes: { train: 600, val: 50, test: 50 } }),
    /classes: .*at most 648/,
  );
});

test('encodeSyntheticSplit writes shards of bounded size that decode to the same items', async () => {
  const ds = generateSyntheticDataset(small);
  const items = ds.splits.train.slice(0, 7);
  const shards = await encodeSyntheticSplit(items, 'jpeg-444', 3);
  assert.equal(shards.length, 3);
  const decoded = shards.flatMap((s) => decodeShard(s));
  assert.deepEqual(
    decoded.map((d) => [d.id, d.label]),
    items.map((i) => [i.id, i.label]),
  );
  for (let k = 0; k < items.length; k++) {
    const img = await sharp(decoded[k].image).raw().toBuffer({ resolveWithObject: true });
    assert.equal((await sharp(decoded[k].image).metadata()).format, 'jpeg');
    assert.equal(img.info.channels, 3);
    let err = 0;
    for (let i = 0; i < img.data.length; i++) err += Math.abs(img.data[i] - items[k].image.data[i]);
    assert.ok(err / img.data.length < 4, `${items[k].id}: JPEG q95 mean abs error ${err / img.data.length}`);
    assert.equal((await sharp(decoded[k].mask).metadata()).channels, 1, 'mask PNG is single-channel');
    assert.equal(decoded[k].mask[25], 0, 'PNG colour type 0 (greyscale)');
    const mask = await sharp(decoded[k].mask).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    assert.equal(mask.info.channels, 1);
    assert.deepEqual(new Uint8Array(mask.data), items[k].mask.data, `${items[k].id}: PNG mask is lossless`);
  }
  await assert.rejects(encodeSyntheticSplit(items, 'jpeg-444', 257), /perShard 257/);
});
