/**
 * loadPretrained (activities/pretrained.ts) end to end: a random BN-Inception file in Cadene's
 * legacy layout (~45 MB, written at test time by test/helpers/bnInceptionFile.ts, never committed),
 * served by a local HTTP server, checked against the sha256 prefix the config promises, kept once
 * in a real S3 store (MinIO, started here), and loaded into BN-Inception; then each way a
 * weights file can be wrong, each with its error.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import * as tf from '@tensorflow/tfjs';
import { DataCache } from '../../activities/dataCache';
import { loadPretrained } from '../../activities/pretrained';
import { resolveExperiment } from '../../configs/resolve';
import { initBackend } from '../../lib/ml/backend';
import { createBnInception } from '../../lib/ml/models/bnInception';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { writeCadeneBnInceptionFile } from '../helpers/bnInceptionFile';
import { hashedTorchParameter } from '../helpers/hashedWeights';
import { startHttpFileServer, type HttpFileServer } from '../helpers/httpFileServer';
import { startTestServices, type TestServices } from '../helpers/services';

let svc: TestServices;
let srv: HttpFileServer;
const scratch = mkdtempSync(join(tmpdir(), 'bgbias-pretrained-'));
let good: { name: string; bytes: Buffer; sha256: string };
let bucketCount = 0;

before(async () => {
  await initBackend();
  [svc, srv] = await Promise.all([startTestServices(), startHttpFileServer()]);
  const f = await writeCadeneBnInceptionFile(scratch);
  good = { name: f.name, bytes: readFileSync(f.path), sha256: f.sha256 };
  srv.put(`/w/${good.name}`, good.bytes);
});
after(async () => {
  await Promise.all([svc?.stop(), srv?.close()]);
  rmSync(scratch, { recursive: true, force: true });
});

/** A fresh bucket: a store that has never seen the file. */
async function freshStore(): Promise<ArtifactStore> {
  return ArtifactStore.open(svc.endpoints.s3, `bgbias-pretrained-${++bucketCount}`);
}

/** A worker's local cache folder (another machine: another folder). */
function worker(): DataCache {
  return new DataCache(mkdtempSync(join(scratch, 'worker-')));
}

function paperConfig(url: string, prefix: string) {
  return resolveExperiment({
    preset: 'paper',
    overrides: { 'model.pretrainedUrl': url, 'model.pretrainedSha256Prefix': prefix },
  });
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const requestsFor = (path: string) => srv.requests.filter((r) => r.path === path).length;

/** A non-retryable bad input whose message matches every pattern. */
function badInput(...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(e)}`);
    assert.equal(e.nonRetryable, true, 'a wrong file is not retried');
    assert.equal(e.type, 'BadInputError');
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

test('served over HTTP, prefix-checked, stored once per store, loaded into BN-Inception; another worker takes it from the store', async () => {
  const store = await freshStore();
  const path = `/w/${good.name}`;
  const config = paperConfig(`${srv.baseUrl}${path}`, good.sha256.slice(0, 9));
  const before = requestsFor(path);
  const weights = await loadPretrained(config, store, worker());
  assert.equal(requestsFor(path) - before, 1, 'downloaded once');

  // The store layout: models/<md5>/<name>, found through models/by-name/<name>.json.
  const key = `models/${md5(good.bytes)}/${good.name}`;
  assert.equal((await store.stat(key))?.size, good.bytes.length);
  const pointer = await store.getJson<{ md5: string; sha256: string; bytes: number }>(
    `models/by-name/${good.name}.json`,
  );
  assert.deepEqual([pointer.md5, pointer.sha256, pointer.bytes], [md5(good.bytes), good.sha256, good.bytes.length]);

  // Loaded into BN-Inception: torch OIHW [64,3,7,7] -> tfjs HWIO [7,7,3,64].
  const model = createBnInception({ weights, seed: 1 });
  try {
    const conv1 = hashedTorchParameter('conv1_7x7_s2.weight', [64, 3, 7, 7]);
    const hwio = model.namedWeights().get('conv1_7x7_s2.weight')!.dataSync();
    const at = (o: number, i: number, h: number, w: number) => ((h * 7 + w) * 3 + i) * 64 + o;
    for (const [o, i, h, w] of [
      [0, 0, 0, 0],
      [5, 2, 6, 1],
      [63, 1, 3, 4],
    ])
      assert.equal(hwio[at(o, i, h, w)], conv1[((o * 3 + i) * 7 + h) * 7 + w]);
    const e = tf.tidy(() => model.embed(tf.zeros([1, 67, 67, 3]) as tf.Tensor4D).dataSync());
    assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-5, 'unit-length embedding');
  } finally {
    model.dispose();
  }

  // A second worker (its own cache folder, as on another machine): from the store, not the address.
  const other = worker();
  const again = await loadPretrained(config, store, other);
  assert.equal(requestsFor(path) - before, 1, 'no second download');
  assert.deepEqual(again.get('inception_5b_1x1.weight')!.data, weights.get('inception_5b_1x1.weight')!.data);
  assert.ok(existsSync(join(other.cacheDirectory, 'stored', ...key.split('/'))), 'local copy in the store layout');
});

test('an interrupted transfer resumes (Range) and is verified', async () => {
  const path = `/w/${good.name}`;
  srv.cutShort(path, 10_000_000);
  const before = srv.requests.length;
  await loadPretrained(paperConfig(`${srv.baseUrl}${path}`, good.sha256.slice(0, 9)), await freshStore(), worker());
  const mine = srv.requests.slice(before).filter((r) => r.path === path);
  assert.deepEqual(
    mine.map((r) => r.status),
    [200, 206],
  );
  // The client holds what reached it before the cut (at most the 10 MB sent) and asks for the rest.
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(mine[1].range ?? '')?.[1]);
  assert.ok(resumedAt > 0 && resumedAt <= 10_000_000, `resumed at ${mine[1].range}`);
});

test('a wrong checksum names the file, the address, the expected prefix and the actual sha256', async () => {
  const url = `${srv.baseUrl}/w/${good.name}`;
  await assert.rejects(
    loadPretrained(paperConfig(url, '0000000'), await freshStore(), worker()),
    badInput(
      new RegExp(`could not download ${good.name}`),
      new RegExp(
        `${url}: checksum mismatch for .*${good.name} \\(from ${url}\\): sha256 expected 0000000\\.\\.\\. \\(a prefix\\), actual ${good.sha256}`,
      ),
      /data\.mirrors=\{"bn_inception-[0-9a-f]{9}\.pth"/,
      /README\.md#when-a-download-fails/,
    ),
  );
});

test('a truncated file: caught by its checksum, or (when the prefix was taken from the damaged copy) by the reader', async () => {
  const cut = good.bytes.subarray(0, good.bytes.length - 1000);
  srv.put(`/short/${good.name}`, cut);
  const url = `${srv.baseUrl}/short/${good.name}`;
  await assert.rejects(
    loadPretrained(paperConfig(url, good.sha256.slice(0, 9)), await freshStore(), worker()),
    badInput(new RegExp(`sha256 expected ${good.sha256.slice(0, 9)}\\.\\.\\. \\(a prefix\\), actual ${sha256(cut)}`)),
  );
  const name = `bn_inception-${sha256(cut).slice(0, 9)}.pth`;
  srv.put(`/short/${name}`, cut);
  await assert.rejects(
    loadPretrained(paperConfig(`${srv.baseUrl}/short/${name}`, sha256(cut).slice(0, 9)), await freshStore(), worker()),
    badInput(
      new RegExp(
        `cannot read BN-Inception weights: ${name} \\(s3://bgbias-pretrained-\\d+/models/${md5(cut)}/${name}, from http`,
      ),
      /truncated in storage \S+: needs \d+ bytes at byte \d+, file has \d+/,
    ),
  );
});

test('tensors that do not fit the model are named, with expected and actual shapes; missing ones too', async () => {
  const dir = mkdtempSync(join(scratch, 'misfit-'));
  const f = await writeCadeneBnInceptionFile(dir, {
    edit: (tensors) =>
      tensors
        .filter(([n]) => n !== 'inception_3a_1x1.bias')
        .map(([n, t]) =>
          n === 'conv1_7x7_s2.weight' ? [n, { shape: [64, 3, 5, 5], data: new Float32Array(64 * 3 * 25) }] : [n, t],
        ),
  });
  srv.put(`/w/${f.name}`, readFileSync(f.path));
  await assert.rejects(
    loadPretrained(paperConfig(`${srv.baseUrl}/w/${f.name}`, f.sha256.slice(0, 9)), await freshStore(), worker()),
    badInput(
      new RegExp(`BN-Inception weights ${f.name} .*: 2 tensor\\(s\\) do not fit the model`),
      /conv1_7x7_s2\.weight: shape \[64,3,5,5\] \(4800 values\), expected \[64,3,7,7\]/,
      /missing inception_3a_1x1\.bias \[64\]/,
    ),
  );
});
