/**
 * index -> u2net masks (tiny u2net-signature model, real onnxruntime path) -> resized images + masks
 * -> shards, on the miniature Cars196 archives; resumability and the bad-input policies.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { U2NET_MODEL } from '../../../configs/paper/addresses';
import { DATASET_SOURCES } from '../../../configs/paper/datasets';
import type { DatasetSources } from '../../../lib/data/datasets/sources';
import { acquireDataset, AcquiredDataset } from '../../../lib/data/datasets/acquire';
import { computeMasks, maskPathFor, writeGrayPng } from '../../../lib/data/masks/computeMasks';
import { U2netSession } from '../../../lib/data/masks/u2netSession';
import { prepareDataset } from '../../../lib/data/prepareDataset';
import { decodeShard } from '../../../lib/data/shardFormat';
import { hashFile } from '../../../lib/data/download/checksum';
import { downloadFile } from '../../../lib/data/download/downloadFile';
import { readGray, readRgb } from '../../../lib/image/decode';
import { PREPARED_FORMATS } from '../../../lib/data/preparedImage';
import { decodeRgb } from '../../../lib/data/decodeShards';
import { pilResize } from '../../../lib/image/pilResize';
import { resizedSize } from '../../../lib/image/resizedSize';

const FIX = join(__dirname, '..', '..', 'fixtures', 'data');
const expected = JSON.parse(readFileSync(join(FIX, 'mini', 'expected.json'), 'utf8'));
let acquired: AcquiredDataset;
let session: U2netSession;

before(async () => {
  const s: DatasetSources = JSON.parse(JSON.stringify(DATASET_SOURCES));
  for (const f of s.cars196.files) {
    f.urls = [pathToFileURL(join(FIX, 'mini', f.name)).href];
    f.md5 = expected.cars196[f.name];
  }
  s.cars196.expected = { images: expected.cars196.num_images };
  const d = mkdtempSync(join(tmpdir(), 'bgprep-'));
  acquired = await acquireDataset('cars196', { sources: s, downloadDir: join(d, 'dl'), extractDir: join(d, 'x') });
  // The model goes through the download + md5 check the mask stage uses (activities/realDataset/
  // storedFiles.ts): accepted with the tiny model's own md5, refused against the paper's u2net md5.
  const model = join(FIX, 'u2net', 'tiny_u2net.onnx');
  const got = await downloadFile({
    url: pathToFileURL(model).href,
    dest: join(d, 'models', 'u2net.onnx'),
    md5: (await hashFile(model, ['md5'])).md5,
  });
  await assert.rejects(
    downloadFile({ url: pathToFileURL(model).href, dest: join(d, 'models', 'other.onnx'), md5: U2NET_MODEL.md5 }),
    /md5 expected 60024c5c889badc19c04ad937298a77b/,
  );
  session = await U2netSession.load(got.path);
});

const allPaths = () =>
  Object.values(acquired.index.splits)
    .flat()
    .map((i) => i.path);

test('mask stage writes one 8-bit PNG per image at the image size, resumes by skipping existing masks', async () => {
  const maskDir = mkdtempSync(join(tmpdir(), 'bgmask-'));
  const paths = allPaths();
  const progress: number[] = [];
  const first = await computeMasks({
    root: acquired.root,
    images: paths.slice(0, 5),
    maskDir,
    masker: session,
    batchSize: 2,
  });
  assert.deepEqual([first.computed, first.existing], [5, 0]);
  const r = await computeMasks({
    root: acquired.root,
    images: paths,
    maskDir,
    masker: session,
    batchSize: 4,
    onProgress: (p) => progress.push(p.done),
  });
  assert.deepEqual([r.computed, r.existing, r.skipped.length], [paths.length - 5, 5, 0]);
  assert.equal(progress[progress.length - 1], paths.length);
  for (const p of paths) {
    const meta = await sharp(maskPathFor(maskDir, p)).metadata();
    const img = await sharp(join(acquired.root, p)).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels, meta.depth], [img.width, img.height, 1, 'uchar'], p);
  }
  // The PNG holds exactly the session's mask values (no colour conversion on the way).
  const [direct] = await session.predict([await readRgb(join(acquired.root, paths[0]))]);
  assert.deepEqual((await readGray(maskPathFor(maskDir, paths[0]))).data, direct.data);
});

test('shards hold every split item (id, label) with a 256-short-side JPEG and a same-size PNG mask; index.json last', async () => {
  const maskDir = mkdtempSync(join(tmpdir(), 'bgmask-'));
  await computeMasks({ root: acquired.root, images: allPaths(), maskDir, masker: session });
  const outDir = mkdtempSync(join(tmpdir(), 'bgshard-'));
  const prep = await prepareDataset({
    index: acquired.index,
    root: acquired.root,
    maskDir,
    outDir,
    shardSize: 3,
    format: 'jpeg-420',
  });
  assert.equal(prep.format, 'jpeg-420');
  assert.deepEqual(prep.counts, {
    train: expected.cars196.splits.train.length,
    val: expected.cars196.splits.val.length,
    test: expected.cars196.splits.test.length,
  });
  assert.ok(existsSync(prep.indexFile));
  for (const split of ['train', 'val', 'test'] as const) {
    const items = prep.shards
      .filter((s) => s.split === split)
      .flatMap((s) => decodeShard(readFileSync(join(outDir, s.file)), s.file));
    assert.deepEqual(
      items.map((i) => ({ path: i.id, label: i.label })),
      expected.cars196.splits[split],
    );
    assert.ok(prep.shards.filter((s) => s.split === split).every((s) => s.items <= 3));
    for (const it of items) {
      const im = await sharp(it.image).metadata();
      const mk = await sharp(it.mask).metadata();
      assert.equal(im.format, 'jpeg');
      assert.equal(Math.min(im.width!, im.height!), 256);
      assert.deepEqual([mk.format, mk.width, mk.height, mk.channels], ['png', im.width, im.height, 1]);
    }
  }
});

test('data.preparedFormat: png stores exactly the PIL-exact resized pixels, jpeg-444 and jpeg-420 lose more and more colour', async () => {
  const maskDir = mkdtempSync(join(tmpdir(), 'bgmask-'));
  const paths = expected.cars196.splits.test.slice(0, 4).map((i: { path: string }) => i.path);
  await computeMasks({ root: acquired.root, images: paths, maskDir, masker: session });
  const index = { ...acquired.index, splits: { train: [], val: [], test: acquired.index.splits.test.slice(0, 4) } };
  const error: Record<string, number> = {};
  for (const format of PREPARED_FORMATS) {
    const outDir = mkdtempSync(join(tmpdir(), 'bgshard-'));
    const prep = await prepareDataset({ index, root: acquired.root, maskDir, outDir, shortSide: 64, format });
    const items = prep.shards.flatMap((s) => decodeShard(readFileSync(join(outDir, s.file)), s.file));
    let sum = 0;
    let n = 0;
    for (const it of items) {
      assert.equal((await sharp(it.image).metadata()).format, format === 'png' ? 'png' : 'jpeg', format);
      // Independent expectation: the original decoded and resized by pilResize (golden-tested against PIL).
      const original = await readRgb(join(acquired.root, it.id));
      const size = resizedSize(original.width, original.height, 64);
      const want = pilResize(original, 3, size.width, size.height, 'bilinear');
      const got = await decodeRgb(it.image, it.id);
      assert.deepEqual([got.width, got.height], [size.width, size.height]);
      for (let i = 0; i < want.length; i++) sum += Math.abs(got.data[i] - want[i]);
      n += want.length;
    }
    error[format] = sum / n;
  }
  assert.equal(error.png, 0, 'png is lossless');
  assert.ok(error['jpeg-444'] > 0 && error['jpeg-420'] > error['jpeg-444'], JSON.stringify(error));
});

test('bad inputs: unreadable image fails naming its path or is skipped and counted; mask size mismatch is named', async () => {
  const maskDir = mkdtempSync(join(tmpdir(), 'bgmask-'));
  const paths = allPaths();
  await computeMasks({ root: acquired.root, images: paths, maskDir, masker: session });
  const victim = expected.cars196.splits.val[0].path;
  const victimPath = join(acquired.root, victim);
  const original = readFileSync(victimPath);
  // The whole dataset into a fresh shard folder, lossless, with the masks computed above.
  const prepareFresh = (extra: { unreadable?: 'fail' | 'skip' } = {}) =>
    prepareDataset({
      index: acquired.index,
      root: acquired.root,
      maskDir,
      outDir: mkdtempSync(join(tmpdir(), 'bgs-')),
      format: 'png',
      ...extra,
    });
  try {
    writeFileSync(victimPath, original.subarray(0, 40)); // a truncated JPEG
    await assert.rejects(prepareFresh(), new RegExp(`cannot decode image .*${victim}`));
    const r = await prepareFresh({ unreadable: 'skip' });
    assert.deepEqual(
      r.skipped.map((s) => s.path),
      [victim],
    );
    assert.equal(r.counts.val, expected.cars196.splits.val.length - 1);
    const m = await computeMasks({
      root: acquired.root,
      images: [victim],
      maskDir: mkdtempSync(join(tmpdir(), 'bgm-')),
      masker: session,
      unreadable: 'skip',
    });
    assert.deepEqual([m.computed, m.skipped.map((s) => s.path)], [0, [victim]]);
    await assert.rejects(
      computeMasks({
        root: acquired.root,
        images: [victim],
        maskDir: mkdtempSync(join(tmpdir(), 'bgm-')),
        masker: session,
      }),
      new RegExp(victim),
    );
  } finally {
    writeFileSync(victimPath, original);
  }
  const other = expected.cars196.splits.test[0].path;
  await writeGrayPng(maskPathFor(maskDir, other), { width: 3, height: 2, data: new Uint8Array(6) });
  await assert.rejects(prepareFresh(), /mask .* is 3x2 but image .* is \d+x\d+/);
});
