/**
 * u2net masks fanned out over several workers standing for several machines: a miniature
 * CUB_200_2011.tgz (test/helpers/miniCubArchive.ts, 200 images) served over local HTTP with the
 * stand-in u2net-signature model, prepared by the `prepareDataset` workflow of the paper preset with
 * `data.masks.chunkImages` 25 (8 mask parts). Three worker processes, each with its own state and
 * cache folder, serve the queues; one is SIGKILLed while it holds a mask part; the part is redone by
 * another worker; the prepared stage restores every part (computes none itself), and the stored
 * parts (and the image order) are byte-identical to those of a one-worker run into another bucket
 * (by another worker, so no cache folder is shared between the two runs).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectedClient } from '../../cli/temporalClient';
import { prepareId, TASK_QUEUES } from '../../contracts/ids';
import { resolveExperiment } from '../../configs/resolve';
import type { ExperimentConfig } from '../../configs/schema';
import { SOURCES_ENV } from '../../activities/realDataset/sources';
import type { DatasetRef } from '../../activities/types';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { readManifest } from '../../lib/store/stageOutput';
import { startHttpFileServer, type HttpFileServer } from '../helpers/httpFileServer';
import { writeMiniCubArchive, type MiniCub } from '../helpers/miniCubArchive';
import type { TestServices } from '../helpers/services';
import { startIntegrationEnvironment, type IntegrationEnvironment } from '../helpers/integrationEnvironment';
import { SHARED_DATA, SHARED_DATA_MISSING } from '../helpers/sharedData';
import { resultExplained } from '../helpers/tinyExperiment';
import { killWorkerRunning, WorkerFleet, type WorkerProcess } from '../helpers/workerProcess';

const U2NET = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'data', 'u2net', 'tiny_u2net.onnx'));
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const CHUNK = 25;

let services: TestServices;
let env: IntegrationEnvironment;
let temporal: ConnectedClient;
let files: HttpFileServer;
let cub: MiniCub;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-fanout-masks-'));

before(async () => {
  if (SHARED_DATA_MISSING) return;
  fs.mkdirSync(path.join(tmp, 'data'));
  // One image per class: 200 images, the protocol's class ranges, no rich classes needed.
  cub = await writeMiniCubArchive(path.join(tmp, 'data'), { richClasses: 0, imagesPerRichClass: 1 });
  fs.writeFileSync(
    path.join(tmp, 'sources.json'),
    JSON.stringify({ cub200: { files: { 'CUB_200_2011.tgz': { md5: cub.md5, urls: [] } }, expected: cub.expected } }),
  );
  files = await startHttpFileServer({ '/data/': path.join(tmp, 'data') });
  files.put('/models/u2net.onnx', U2NET);
  env = await startIntegrationEnvironment({ workers: false }); // the workers are processes, started by the tests
  ({ services, temporal } = env);
});

after(async () => {
  fleet.killAll();
  await env?.stop();
  await files?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const fleet = new WorkerFleet({
  endpoints: () => services.endpoints,
  dir: tmp,
  paperDataDir: SHARED_DATA,
  args: ['--threads', '1', '--input-workers', '1'],
  env: { [SOURCES_ENV]: path.join(tmp, 'sources.json') },
});
const startWorker = (name: string): WorkerProcess => fleet.start(name);

/** The paper preset on the miniature, into its own bucket (the mask parts live outside any experiment). */
function config(bucket: string): ExperimentConfig {
  return resolveExperiment({
    preset: 'paper',
    overrides: {
      experiment: `masks-${bucket}`,
      datasets: ['cub200'],
      'storage.bucket': bucket,
      // A lost gpu-queue activity is noticed after max(15 s, 3 x this).
      'training.heartbeatSeconds': 5,
      'data.mirrors': { 'CUB_200_2011.tgz': [`${files.baseUrl}/data/CUB_200_2011.tgz`] },
      'data.masks.u2netUrl': `${files.baseUrl}/models/u2net.onnx`,
      'data.masks.u2netMd5': md5(U2NET),
      'data.masks.chunkImages': CHUNK,
    },
  });
}

const workflowId = (bucket: string) => prepareId(`masks-${bucket}`, 'cub200');

function startPrepare(bucket: string) {
  return temporal.client.workflow.start('prepareDataset', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: workflowId(bucket),
    args: [config(bucket), 'cub200'],
  });
}

/** Every stored object under masks/ of a bucket, by key. */
async function storedMasks(bucket: string): Promise<Map<string, Buffer>> {
  const store = await ArtifactStore.open(services.endpoints.s3, bucket);
  const out = new Map<string, Buffer>();
  for (const k of await store.list('masks/')) out.set(k, await store.getBuffer(k));
  return out;
}

/** The prepared stage's own mask counts (it must have restored every part, computed none). */
async function assertAllRestored(bucket: string, ref: DatasetRef, images: number): Promise<void> {
  const store = await ArtifactStore.open(services.endpoints.s3, bucket);
  const manifest = await readManifest(store, ref.prefix);
  assert.ok(manifest, `${bucket}: no manifest at ${ref.prefix}`);
  const m = manifest.metrics.masks as { computed: number; restored: number; existing: number };
  // Restored from the parts, or already in the cache of a worker that computed a part.
  assert.equal(m.computed, 0, `${bucket}: the prepared stage computed masks itself: ${JSON.stringify(m)}`);
  assert.equal(m.restored + m.existing, images, JSON.stringify(m));
}

test(
  'three workers, one SIGKILLed while it holds a u2net mask part: the part is redone elsewhere, stored parts equal one worker',
  { skip: SHARED_DATA_MISSING, timeout: 400_000 },
  async () => {
    const images = cub.expected.images;
    const parts = Math.ceil(images / CHUNK);
    assert.equal(parts, 8);

    // Reference: one worker alone, into bucket "solo".
    const solo = startWorker('solo');
    const one = await resultExplained<DatasetRef>(await startPrepare('solo'));
    const reference = await storedMasks('solo');
    const partKeys = [...reference.keys()].filter((k) => /\/part-\d{5}\.bgsh$/.test(k));
    assert.equal(partKeys.length, parts, [...reference.keys()].join(', '));
    await assertAllRestored('solo', one, images);
    solo.child.kill('SIGTERM');
    await new Promise((r) => solo.child.once('exit', r));

    // Three fresh workers (empty caches: nothing computed before is reused), into bucket "three".
    const workers = [startWorker('w1'), startWorker('w2'), startWorker('w3')];
    const handle = await startPrepare('three');
    const killed = await killWorkerRunning(() => handle.describe(), 'computeMaskPart', workers, 200_000);
    const three = await resultExplained<DatasetRef>(handle);

    // The killed worker's part ran again, on another worker; parts ran on several workers.
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const scheduled = new Map<string, string>();
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
    }
    const partStarts = events
      .map((e) => e.activityTaskStartedEventAttributes)
      .filter((s): s is NonNullable<typeof s> => !!s && scheduled.get(String(s.scheduledEventId)) === 'computeMaskPart')
      .map((s) => ({ identity: s.identity ?? '', attempt: s.attempt ?? 1 }));
    assert.equal(partStarts.length, parts, JSON.stringify(partStarts));
    // Started events of retried activities are written when they complete: the retry is attempt > 1.
    const retried = partStarts.filter((s) => s.attempt > killed.attempt);
    assert.ok(retried.length >= 1, `no mask part was retried: ${JSON.stringify(partStarts)}`);
    for (const r of retried) assert.ok(!r.identity.startsWith(`${killed.pid}@`), 'retried on the killed worker');
    const identities = new Set(partStarts.map((s) => s.identity));
    assert.ok(identities.size >= 2, `parts ran on ${identities.size} worker(s): ${[...identities].join(', ')}`);

    // The prepared stage restored every part (had the lost part not been redone, it would compute it here).
    await assertAllRestored('three', three, images);
    // Same stored parts and image order, byte for byte, as the one-worker run.
    const got = await storedMasks('three');
    assert.deepEqual([...got.keys()], [...reference.keys()]);
    for (const [k, v] of reference) assert.ok(got.get(k)!.equals(v), `${k} differs from the one-worker run`);
    // Each worker that computed a part said which execution provider u2net got (no GPU here: cpu).
    const providerLines = workers
      .flatMap((w) => fs.readFileSync(w.log, 'utf8').split('\n'))
      .filter((l) => l.includes('computeMaskPart: u2net: onnxruntime'));
    assert.ok(providerLines.length >= 2, providerLines.join('\n'));
    for (const l of providerLines)
      assert.match(l, /u2net: onnxruntime cpu execution provider, 1 thread\(s\); no GPU on this worker$/);
    // And the same prepared dataset: same stage digest, same shards byte for byte.
    assert.equal(three.digest, one.digest);
    const [soloStore, threeStore] = await Promise.all(
      ['solo', 'three'].map((b) => ArtifactStore.open(services.endpoints.s3, b)),
    );
    for (const split of ['train', 'val', 'test'] as const) {
      assert.equal(three.splits[split].count, one.splits[split].count);
      assert.equal(three.splits[split].shardKeys.length, one.splits[split].shardKeys.length);
      for (const [i, key] of one.splits[split].shardKeys.entries()) {
        const a = await soloStore.getBuffer(key);
        const b = await threeStore.getBuffer(three.splits[split].shardKeys[i]);
        assert.ok(a.equals(b), `${split} shard ${i} differs from the one-worker run`);
      }
    }
  },
);
