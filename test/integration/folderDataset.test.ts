/**
 * A folder of one's own images as a dataset, end to end on real Temporal + MinIO with in-process
 * workers: a generated ImageFolder (16 classes x 4 images, JPEG and PNG) with a parallel masks folder,
 * one class with a single image and one unreadable image (both skipped under
 * data.unreadableImages=skip), registered as `myshop`; the tiny smoke grid (small CNN, 1 loss x 2
 * modes) through reproducePaper to the report; then the import alone again: the same bytes at
 * another path are the same import, a changed byte is another. Then, as plain activity calls, a
 * pre-split train/val/test folder without masks (u2net from the stand-in model, real onnxruntime)
 * and the errors a bad folder gets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { reproducePaperStart } from '../../cli/reproducePaperStart';
import { cellKey, readCellRecord } from '../../activities/cells';
import { Stores } from '../../activities/context';
import { buildFolderDataset, importFolderDataset } from '../../activities/folderDataset';
import { decodeShard } from '../../lib/data/shardFormat';
import { decodeGray, decodeRgb } from '../../lib/data/decodeShards';
import { resolveExperiment } from '../../configs/resolve';
import { parseReport } from '../../lib/report';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { readManifest } from '../../lib/store/stageOutput';
import type { Progress } from '../../workflows/progress';
import type { ReproducePaperResult } from '../../workflows/reproducePaper';
import { folderClassName, writeImageFolder, type WrittenImageFolder } from '../helpers/imageFolder';
import { startIntegrationEnvironment, type IntegrationEnvironment } from '../helpers/integrationEnvironment';
import { SHARED_DATA_MISSING } from '../helpers/sharedData';
import { resultExplained, tinyOverrides } from '../helpers/tinyExperiment';

const CLASSES = 16;
const PER_CLASS = 4;

let tmp: string;
let folder: WrittenImageFolder;
let env: IntegrationEnvironment;

before(async () => {
  if (SHARED_DATA_MISSING) return;
  tmp = mkdtempSync(join(tmpdir(), 'bgfolder-'));
  folder = await writeImageFolder(tmp, { classes: CLASSES, imagesPerClass: PER_CLASS, width: 48, height: 40 });
  // A class of one image, an image that does not decode (with a mask), and a file that is no image.
  mkdirSync(join(folder.images, 'lonely'));
  writeFileSync(
    join(folder.images, 'lonely', 'only.png'),
    await sharp({ create: { width: 48, height: 40, channels: 3, background: '#808080' } })
      .png()
      .toBuffer(),
  );
  mkdirSync(join(folder.masks, 'lonely'), { recursive: true });
  cpSync(join(folder.masks, folderClassName(0), 'img-1.png'), join(folder.masks, 'lonely', 'only.png'));
  writeFileSync(join(folder.images, folderClassName(5), 'broken.jpg'), 'not a JPEG');
  cpSync(join(folder.masks, folderClassName(5), 'img-0.png'), join(folder.masks, folderClassName(5), 'broken.png'));
  writeFileSync(join(folder.images, 'README.txt'), 'product photos');
  env = await startIntegrationEnvironment();
});

after(async () => {
  await env?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const finite01 = (v: number, what: string) => assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `${what} = ${v}`);

test(
  'a folder dataset (ImageFolder + masks folder) trains, evaluates, attributes and reports through reproducePaper',
  { skip: SHARED_DATA_MISSING, timeout: 600_000 },
  async () => {
    const experiment = 'folder-ci';
    const overrides = tinyOverrides(experiment, {
      datasets: ['myshop'],
      modes: ['base', 'bgaugment'],
      'data.folders.myshop': { path: folder.images, masks: folder.masks },
      'data.unreadableImages': 'skip',
      'attribution.figureDataset': 'myshop',
      'lossParams.myshop.contrastive': { posMargin: 0.2, negMargin: 0.5 },
    });
    const input = { preset: 'smoke', overrides };
    const t0 = Date.now();
    const handle = await env.client.workflow.start('reproducePaper', reproducePaperStart(experiment, 'smoke', input));
    const result = await resultExplained<ReproducePaperResult>(handle);
    const seconds = (Date.now() - t0) / 1000;
    const progress = await handle.query<Progress>('progress');
    assert.equal(progress.stage, 'done');
    assert.deepEqual(progress.datasets, { myshop: 'done' });
    assert.deepEqual(result.cells.map((c) => c.cellId).sort(), [
      'myshop/contrastive/base/s42',
      'myshop/contrastive/bgaugment/s42',
    ]);

    // The import: once, content-addressed, outside the experiment; every image and mask in it.
    const store = await ArtifactStore.open(env.services.endpoints.s3, 'bgbias');
    const imports = (await store.list('imports/folder/')).filter((k) => k.endsWith('/_manifest.json'));
    assert.equal(imports.length, 1, imports.join(', '));
    const importPrefix = imports[0].slice(0, -'/_manifest.json'.length);
    const files = (await store.getJson(`${importPrefix}/files.json`)) as { images: { path: string; mask?: unknown }[] };
    assert.equal(files.images.length, CLASSES * PER_CLASS + 2, 'every image file, README.txt left out');
    assert.ok(
      files.images.every((f) => f.mask),
      'every image came with its mask',
    );

    // The split: class-disjoint, 16 usable classes -> 6 train, 2 val, 8 test (docs/protocol.md
    // proportions), recorded in the stage; the lonely class and the broken image skipped and listed.
    const record = await readCellRecord(store, cellKey(experiment, result.cells[0].cellId));
    const ds = record.dataset;
    assert.equal(ds.dataset, 'myshop');
    assert.deepEqual(
      [ds.splits.train, ds.splits.val, ds.splits.test].map((s) => s.numClasses),
      [6, 2, 8],
    );
    assert.equal(ds.splits.train.count + ds.splits.val.count + ds.splits.test.count, CLASSES * PER_CLASS);
    const stage = await readManifest(store, ds.prefix);
    assert.ok(stage);
    assert.equal(stage.metrics.maskSource, 'folder');
    assert.deepEqual((stage.metrics.skipped as { path: string }[]).map((s) => s.path).sort(), [
      `${folderClassName(5)}/broken.jpg`,
      'lonely/only.png',
    ]);
    const split = (await store.getJson(`${ds.prefix}/split.json`)) as {
      layout: string;
      seed: number;
      classes: { name: string; split: string; label: number }[];
    };
    assert.equal(split.layout, 'seeded');
    assert.equal(split.seed, 42, 'the split seed defaults to the first of seeds');
    assert.deepEqual(split.classes.map((c) => c.name).sort(), [...folder.classNames].sort());
    assert.deepEqual(
      split.classes.map((c) => c.label),
      [...Array(CLASSES).keys()],
    );

    // The report: the folder dataset's rows, every metric finite, attention scores, the tables.
    const report = parseReport(await store.getJson(`${result.reportPrefix}/report.json`));
    assert.deepEqual(
      report.cells.map((c) => c.dataset),
      ['myshop', 'myshop'],
    );
    for (const c of report.cells) {
      for (const k of ['mapAtR', 'precisionAt1', 'rPrecision'] as const) {
        finite01(c.clean[k], `${c.mode} clean ${k}`);
        finite01(c.swapped[k].mean, `${c.mode} swapped ${k}`);
      }
      assert.ok(c.attention && c.attention.n === 4 && Number.isFinite(c.attention.mean), JSON.stringify(c.attention));
    }
    const md = (await store.getBuffer(`${result.reportPrefix}/tables.md`)).toString('utf8');
    const table1 = md.slice(md.indexOf('## Table 1'), md.indexOf('## Table 2'));
    const table2 = md.slice(md.indexOf('## Table 2'));
    for (const column of ['myshop clean', 'myshop swapped'])
      assert.ok(table1.includes(column), `Table 1: ${column}\n${md}`);
    assert.ok(table2.includes('myshop'), `Table 2 lacks myshop:\n${md}`);
    assert.ok(await store.exists(`${result.reportPrefix}/attention.png`), 'the attention figure of myshop');
    console.log(`folder dataset grid: ${seconds.toFixed(1)} s`);

    // The import alone again (a plain call, as a worker makes it): the same bytes at another path
    // are the same import and are not uploaded again; one changed byte makes another import.
    const stores = new Stores(env.services.endpoints.s3);
    const importIt = importFolderDataset(stores);
    const moved = join(tmp, 'moved');
    cpSync(folder.images, moved, { recursive: true });
    const config = (path: string) =>
      resolveExperiment({
        preset: 'smoke',
        overrides: { ...overrides, 'data.folders.myshop': { path, masks: folder.masks } },
      });
    const again = await importIt(config(moved), 'myshop');
    assert.equal(again.prefix, importPrefix);
    assert.equal(again.cached, true);
    writeFileSync(
      join(moved, folderClassName(0), 'img-1.png'),
      await sharp({ create: { width: 48, height: 40, channels: 3, background: '#102030' } })
        .png()
        .toBuffer(),
    );
    const changed = await importIt(config(moved), 'myshop');
    assert.notEqual(changed.digest, again.digest);
    assert.equal(changed.cached, false);
  },
);

const U2NET = join(__dirname, '..', 'fixtures', 'data', 'u2net', 'tiny_u2net.onnx');

/** The tiny ImageFolder moved into train/ (10 classes), val/ (2) and test/ (4), with no masks. */
function preSplit(root: string, from: WrittenImageFolder): { train: string[]; val: string[]; test: string[] } {
  const names = from.classNames;
  const splits = { train: names.slice(0, 10), val: names.slice(10, 12), test: names.slice(12, 16) };
  for (const [split, classes] of Object.entries(splits))
    for (const c of classes) cpSync(join(from.images, c), join(root, split, c), { recursive: true });
  return splits;
}

test(
  'a pre-split folder without masks: its own train/val/test classes, u2net masks, cached the second time',
  { skip: SHARED_DATA_MISSING, timeout: 300_000 },
  async () => {
    const root = join(tmp, 'presplit');
    const given = preSplit(root, folder);
    const md5 = createHash('md5').update(readFileSync(U2NET)).digest('hex');
    const config = resolveExperiment({
      preset: 'smoke',
      overrides: tinyOverrides('presplit-ci', {
        datasets: ['shop2'],
        'data.folders.shop2': root,
        'attribution.figureDataset': 'shop2',
        'data.masks.u2netUrl': pathToFileURL(U2NET).href,
        'data.masks.u2netMd5': md5,
      }),
    });
    const stores = new Stores(env.services.endpoints.s3);
    const cacheDir = mkdtempSync(join(tmpdir(), 'bgfolder-cache-'));
    const build = buildFolderDataset(stores, cacheDir);
    // The unreadable image the before hook left in class 5, under data.unreadableImages=fail: named.
    await assert.rejects(
      build(config, 'shop2', await importFolderDataset(stores)(config, 'shop2')),
      new RegExp(`cannot decode image .*/train/${folderClassName(5)}/broken\\.jpg`),
    );
    rmSync(join(root, 'train', folderClassName(5), 'broken.jpg'));
    const imported = await importFolderDataset(stores)(config, 'shop2');
    assert.equal(imported.masks, false);
    const ref = await build(config, 'shop2', imported);
    assert.equal(ref.cached, false);
    assert.deepEqual(
      [ref.splits.train, ref.splits.val, ref.splits.test].map((s) => [s.numClasses, s.count]),
      [
        [10, 10 * PER_CLASS],
        [2, 2 * PER_CLASS],
        [4, 4 * PER_CLASS],
      ],
    );
    assert.equal(ref.maskTiming?.images, CLASSES * PER_CLASS, 'u2net masked every image');
    const store = await ArtifactStore.open(env.services.endpoints.s3, 'bgbias');
    const split = (await store.getJson(`${ref.prefix}/split.json`)) as {
      layout: string;
      classes: { name: string; split: string; label: number }[];
    };
    assert.equal(split.layout, 'folders');
    for (const s of ['train', 'val', 'test'] as const)
      assert.deepEqual(
        split.classes.filter((c) => c.split === s).map((c) => c.name),
        [...given[s]].sort(),
      );
    // The test shards: ids under test/, labels after the 12 train + val classes, masks at the image's size.
    const shard = decodeShard(await store.getBuffer(ref.splits.test.shardKeys[0]), 'test shard');
    assert.ok(shard.every((it) => it.id.startsWith('test/') && it.label >= 12 && it.label < 16));
    const [img, mask] = [await decodeRgb(shard[0].image, 'image'), await decodeGray(shard[0].mask, 'mask')];
    assert.deepEqual([mask.width, mask.height], [img.width, img.height]);
    assert.equal(Math.min(img.width, img.height), 40, 'the prepared short side');
    // Again: the stage answers from its manifest.
    const again = await build(config, 'shop2', await importFolderDataset(stores)(config, 'shop2'));
    assert.equal(again.cached, true);
    assert.equal(again.digest, ref.digest);
    rmSync(cacheDir, { recursive: true, force: true });
  },
);

test(
  'a bad folder: not there, a mask missing, a class in two splits: errors naming what is wrong',
  { skip: SHARED_DATA_MISSING },
  async () => {
    const stores = new Stores(env.services.endpoints.s3);
    const importIt = importFolderDataset(stores);
    const configFor = (setting: unknown) =>
      resolveExperiment({
        preset: 'smoke',
        overrides: { datasets: ['shop3'], 'attribution.figureDataset': 'shop3', 'data.folders.shop3': setting },
      });
    await assert.rejects(importIt(configFor(join(tmp, 'nowhere')), 'shop3'), (e: Error) => {
      assert.match(e.message, /data\.folders\.shop3: .*nowhere is not a folder on this worker/);
      assert.equal(e.name, 'ValidationError');
      return true;
    });
    const masks = join(tmp, 'masks-incomplete');
    cpSync(folder.masks, masks, { recursive: true });
    rmSync(join(masks, folderClassName(3), 'img-2.png'));
    await assert.rejects(
      importIt(configFor({ path: folder.images, masks }), 'shop3'),
      new RegExp(`no mask in the masks folder for 1 image\\(s\\): expected ${folderClassName(3)}/img-2\\.png`),
    );
    const twice = join(tmp, 'twice');
    cpSync(join(folder.images, folderClassName(0)), join(twice, 'train', 'x'), { recursive: true });
    cpSync(join(folder.images, folderClassName(2)), join(twice, 'train', 'y'), { recursive: true });
    cpSync(join(folder.images, folderClassName(1)), join(twice, 'test', 'x'), { recursive: true });
    await assert.rejects(importIt(configFor(twice), 'shop3'), /class x is in both train\/ and test\//);
  },
);
