/**
 * The real download -> verify -> extract -> index -> split path on miniature archives in the real
 * formats (scripts/fixtures/gen_mini_datasets.py), served by a local HTTP server. Expected splits
 * were computed by the fixture script with the reference implementation's own logic.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { indexSop } from '../../../lib/data/datasets/sop';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATASET_SOURCES } from '../../../configs/paper/datasets';
import { PAPER_DATASETS } from '../../../contracts/grid';
import type { DatasetSources } from '../../../lib/data/datasets/sources';
import { acquireDataset } from '../../../lib/data/datasets/acquire';
import { HttpFileServer, startHttpFileServer } from '../../helpers/httpFileServer';

const MINI = join(__dirname, '..', '..', 'fixtures', 'data', 'mini');
const expected = JSON.parse(readFileSync(join(MINI, 'expected.json'), 'utf8'));
let srv: HttpFileServer;

before(async () => {
  srv = await startHttpFileServer(MINI);
});
after(async () => {
  await srv.close();
});

/** The real sources config with the miniature's addresses, sums and counts. */
function miniSources(): DatasetSources {
  const s: DatasetSources = JSON.parse(JSON.stringify(DATASET_SOURCES));
  for (const ds of PAPER_DATASETS) {
    for (const f of s[ds].files) {
      f.urls = [`${srv.baseUrl}/${f.name}`];
      f.md5 = expected[ds][f.name];
    }
    const splits = expected[ds].splits;
    const all = [...splits.train, ...splits.val, ...splits.test];
    s[ds].expected = {
      images: all.length,
      classes: new Set(all.map((i: { label: number }) => i.label)).size,
      test: splits.test.length,
      testClasses: new Set(splits.test.map((i: { label: number }) => i.label)).size,
    };
  }
  return s;
}

function dirs() {
  const d = mkdtempSync(join(tmpdir(), 'bgacq-'));
  return { downloadDir: join(d, 'downloads'), extractDir: join(d, 'extracted') };
}

function plainSplits(index: { splits: Record<string, { path: string; label: number }[]> }) {
  return Object.fromEntries(
    Object.entries(index.splits).map(([k, v]) => [k, v.map((i) => ({ path: i.path, label: i.label }))]),
  );
}

test('cars196: interrupted download resumed with Range, md5 verified, tgz + MATLAB v5 annotations indexed into the exact splits', async () => {
  const d = dirs();
  // Cut once the client has the 3000 bytes on disk, so the resume offset does not depend on load.
  const part = join(d.downloadDir, 'car_ims.tgz.part');
  srv.cutShort('/car_ims.tgz', 3000, 1, () => existsSync(part) && statSync(part).size >= 3000);
  const before = srv.requests.length;
  const r = await acquireDataset('cars196', { sources: miniSources(), ...d, retries: 2, backoffMs: 1 });
  const reqs = srv.requests.slice(before).filter((q) => q.path === '/car_ims.tgz');
  assert.deepEqual(
    reqs.map((q) => [q.range, q.status]),
    [
      [undefined, 200],
      ['bytes=3000-', 206],
    ],
  );
  assert.deepEqual(plainSplits(r.index), expected.cars196.splits);
  assert.equal(r.index.numTrainClasses, 74);
  assert.deepEqual(
    r.files.map((f) => [f.name, f.md5]),
    [
      ['car_ims.tgz', expected.cars196['car_ims.tgz']],
      ['cars_annos.mat', expected.cars196['cars_annos.mat']],
    ],
  );
  // Second run on the same folders: nothing is transferred again.
  const n = srv.requests.length;
  const again = await acquireDataset('cars196', { sources: miniSources(), ...d });
  assert.equal(srv.requests.length, n);
  assert.ok(again.files.every((f) => f.cached));
  assert.deepEqual(plainSplits(again.index), expected.cars196.splits);
});

test('cub200: folder layout indexed like ImageFolder (sorted classes and files), official segmentations attached', async () => {
  const r = await acquireDataset('cub200', { sources: miniSources(), ...dirs(), retries: 0 });
  assert.deepEqual(plainSplits(r.index), expected.cub200.splits);
  const withSeg = Object.values(r.index.splits)
    .flat()
    .filter((i) => i.officialMask);
  assert.equal(withSeg.length, expected.cub200.num_segmentations);
  assert.deepEqual(r.skipped, []);
  // Without an address for the optional segmentations the dataset still works, and says so.
  const s = miniSources();
  s.cub200.files[1].urls = [];
  const r2 = await acquireDataset('cub200', { sources: s, ...dirs() });
  assert.deepEqual(
    r2.skipped.map((x) => x.name),
    ['segmentations.tgz'],
  );
  assert.equal(
    Object.values(r2.index.splits)
      .flat()
      .filter((i) => i.officialMask).length,
    0,
  );
});

test('sop: zip + Ebay_*.txt indexed into train / val (class_id - 1 >= 8489) / test', async () => {
  const r = await acquireDataset('sop', { sources: miniSources(), ...dirs() });
  assert.deepEqual(plainSplits(r.index), expected.sop.splits);
  assert.equal(r.index.numTrainClasses, 8489);
});

test('a corrupted archive is rejected: by its md5 when known, by the extractor otherwise', async () => {
  const good = readFileSync(join(MINI, 'car_ims.tgz'));
  srv.put('/bad/car_ims.tgz', good.subarray(0, good.length - 500));
  const s = miniSources();
  s.cars196.files[0].urls = [`${srv.baseUrl}/bad/car_ims.tgz`];
  await assert.rejects(acquireDataset('cars196', { sources: s, ...dirs(), retries: 0 }), (e: Error) => {
    assert.match(e.message, /car_ims\.tgz/);
    assert.match(e.message, new RegExp(`md5 expected ${expected.cars196['car_ims.tgz']}, actual [0-9a-f]{32}`));
    return true;
  });
  delete s.cars196.files[0].md5;
  await assert.rejects(
    acquireDataset('cars196', { sources: s, ...dirs(), retries: 0 }),
    /cannot extract .*car_ims\.tgz: .*(unexpected end|TAR_BAD_ARCHIVE|truncated)/i,
  );
  const zip = readFileSync(join(MINI, 'Stanford_Online_Products.zip'));
  srv.put('/bad/Stanford_Online_Products.zip', zip.subarray(0, zip.length - 100));
  s.sop.files[0].urls = [`${srv.baseUrl}/bad/Stanford_Online_Products.zip`];
  delete s.sop.files[0].md5;
  await assert.rejects(
    acquireDataset('sop', { sources: s, ...dirs() }),
    /cannot extract .*Stanford_Online_Products\.zip/,
  );
});

test('missing annotation file, missing list file and wrong counts are named', async () => {
  // cars: a mirror serves car_ims.tgz but the annotation file is absent from the extraction folder.
  const s = miniSources();
  s.cars196.files = [s.cars196.files[0]];
  await assert.rejects(
    acquireDataset('cars196', { sources: s, ...dirs() }),
    /missing Cars196 annotation file cars_annos\.mat: .*cars_annos\.mat/,
  );
  // sop: an extraction folder without Ebay_test.txt.
  const d = dirs();
  mkdirSync(join(d.downloadDir), { recursive: true });
  const r = await acquireDataset('sop', { sources: miniSources(), ...d });
  rmSync(join(r.root, 'Stanford_Online_Products', 'Ebay_test.txt'));
  await assert.rejects(indexSop(r.root), /missing SOP list Ebay_test\.txt: .*Ebay_test\.txt/);
  // wrong expected counts (a different copy of the dataset)
  const w = miniSources();
  w.cub200.expected.test = 999;
  await assert.rejects(acquireDataset('cub200', { sources: w, ...dirs() }), /cub200: .*test: expected 999, actual \d+/);
});
