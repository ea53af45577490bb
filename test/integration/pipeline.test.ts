/**
 * The whole DAG on real services: a tiny smoke experiment end to end, its cached rerun, `analyze`
 * alone, an invalid input, and what the workflow histories contain. The paper's backgrounds take the
 * download route (no local copy): from a local HTTP server with the public address's layout, serving
 * the local copy's files (or, where this machine has none, from the public address itself).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/ml/backend';
import { workflowBundle } from '../../workers/runWorkers';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { parseReport } from '../../lib/report';
import { analyzeId, reproduceId, TASK_QUEUES } from '../../contracts/ids';
import type { Progress } from '../../workflows/progress';
import type { ReproducePaperResult } from '../../workflows/reproducePaper';
import type { AnalyzeResult } from '../../workflows/analyze';
import type { TestServices } from '../helpers/services';
import { startIntegrationEnvironment, type IntegrationEnvironment } from '../helpers/integrationEnvironment';
import { resultExplained, tinyOverrides } from '../helpers/tinyExperiment';
import { startPaperRepoServer, type PaperRepoServer } from '../helpers/paperRepoServer';
import { SHARED_DATA_MISSING } from '../helpers/sharedData';
import { PAPER_DATA_ENV } from '../../activities/paperData';
import { UNSPLASH_BACKGROUNDS_SHA256SUMS } from '../../configs/paper/backgrounds';
import { readSha256SumsFile } from '../../lib/data/download/checksumList';
import { reproducePaperStart } from '../../cli/reproducePaperStart';

const UNSPLASH_BACKGROUNDS = readSha256SumsFile(UNSPLASH_BACKGROUNDS_SHA256SUMS);

// No local copy for the workers of this process: they must download (activities/paperData.ts).
delete process.env[PAPER_DATA_ENV];

let services: TestServices;
let env: IntegrationEnvironment;
let client: Client;
let paperRepo: PaperRepoServer | undefined;

before(async () => {
  if (!SHARED_DATA_MISSING) paperRepo = await startPaperRepoServer();
  env = await startIntegrationEnvironment();
  ({ services, client } = env);
});

after(async () => {
  await env?.stop();
  await paperRepo?.server.close();
});

/** GET requests the stand-in paper repository answered for background files. */
function backgroundRequests(): string[] {
  return (paperRepo?.server.requests ?? [])
    .filter((r) => r.path.startsWith(paperRepo!.backgroundsPath) && r.status === 200)
    .map((r) => r.path.slice(paperRepo!.backgroundsPath.length));
}

async function reproduce(experiment: string, input: unknown) {
  const handle = await client.workflow.start('reproducePaper', reproducePaperStart(experiment, 'smoke', input));
  const t0 = Date.now();
  const result = await resultExplained<ReproducePaperResult>(handle);
  return { handle, result, seconds: (Date.now() - t0) / 1000, progress: await handle.query<Progress>('progress') };
}

test(
  'reproducePaper runs the tiny grid end to end, then reruns entirely from cache, then analyze recomputes alone',
  { timeout: 600_000 },
  async () => {
    const paperRepoUrl = paperRepo ? { 'data.paperRepoUrl': paperRepo.paperRepoUrl } : {};
    const input = {
      preset: 'smoke',
      // Attribution in chunks of one image (4 per model): the figure's 2 images span two chunks.
      overrides: tinyOverrides('e2e', { modes: ['base', 'bgaugment'], 'attribution.chunkImages': 1, ...paperRepoUrl }),
    };
    await initBackend();
    const tensorsBefore = tf.memory().numTensors;
    const first = await reproduce('e2e', input);
    // The workers run in this process: after two trainings, evaluations and attributions every
    // tensor they made is gone again (a long-lived worker must not grow).
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked by the activities');
    assert.equal(first.progress.stage, 'done');
    assert.deepEqual(
      first.progress.cells.map((c) => [c.id, c.state]),
      [
        ['synthetic/contrastive/base/s42', 'done'],
        ['synthetic/contrastive/bgaugment/s42', 'done'],
      ],
    );
    // Per-epoch progress reached the parent (signals from the training activity).
    assert.ok(
      first.progress.cells.every((c) => c.epoch === 2 && c.test !== undefined),
      JSON.stringify(first.progress.cells),
    );
    const store = await ArtifactStore.open(services.endpoints.s3, 'bgbias');
    const report = parseReport(await store.getJson(`${first.result.reportPrefix}/report.json`));
    assert.equal(report.cells.length, 2);
    for (const c of report.cells) {
      assert.equal(c.swapped.mapAtR.reps.length, 2);
      assert.ok(c.attention && c.attention.n === 4);
    }
    const trainKeys = (await store.list('e2e/train/')).length;
    // The download route: every background fetched once over HTTP, by its public path.
    if (paperRepo)
      assert.deepEqual(
        backgroundRequests().sort(),
        UNSPLASH_BACKGROUNDS.map((f) => f.path),
      );

    // Same command again: every stage answers from its manifest.
    const second = await reproduce('e2e', input);
    assert.ok(second.seconds < 60, `cached rerun took ${second.seconds} s`);
    assert.deepEqual(Object.values(second.progress.datasets), ['cached']);
    assert.equal(second.progress.backgrounds, 'cached');
    assert.equal(second.progress.stages.report, 'cached');
    assert.equal(second.result.reportPrefix, first.result.reportPrefix);
    assert.ok(
      second.progress.cells.every((c) => c.state === 'cached'),
      JSON.stringify(second.progress.cells),
    );
    assert.equal(second.progress.analysis.cached, 2);
    assert.ok(second.result.cells.every((c) => c.trainCached && c.evaluationCached));
    if (paperRepo) assert.equal(backgroundRequests().length, UNSPLASH_BACKGROUNDS.length, 'cached: no new downloads');

    // analyze alone, for the experiment id only: recomputes attribution and report, trains nothing.
    const handle = await client.workflow.start('analyze', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: analyzeId('e2e'),
      args: [{ experiment: 'e2e', force: true }],
    });
    const analysis = await resultExplained<AnalyzeResult>(handle);
    assert.ok(analysis.attributions.every((a) => !a.result.cached));
    assert.notEqual(analysis.reportPrefix, first.result.reportPrefix);
    const p = await handle.query<Progress>('progress');
    assert.equal(p.analysis.done, 2);
    assert.equal((await store.list('e2e/train/')).length, trainKeys, 'analyze must not train');
    // Each model's 4 attributed images in 4 chunk stages, twice (the forced analysis recomputes them).
    const chunkStages = new Set((await store.list('e2e/attribution-chunk/')).map((k) => k.split('/')[2]));
    assert.equal(chunkStages.size, 2 * 4 * 2);
    // Deterministic attribution: the recomputed scores equal the first ones.
    const again = parseReport(await store.getJson(`${analysis.reportPrefix}/report.json`));
    assert.deepEqual(
      again.cells.map((c) => c.attention),
      report.cells.map((c) => c.attention),
    );

    // The workflow code replays its own histories (a guard for deterministic workflow changes).
    const bundle = await workflowBundle();
    for (const id of [reproduceId('e2e'), analyzeId('e2e'), 'bgbias/e2e/cell/synthetic/contrastive/base/s42']) {
      await Worker.runReplayHistory({ workflowBundle: bundle }, await client.workflow.getHandle(id).fetchHistory(), id);
    }

    // Histories carry keys and small metrics only: no payload over 64 KiB, no credential.
    for (const id of [
      reproduceId('e2e'),
      analyzeId('e2e'),
      'bgbias/e2e/cell/synthetic/contrastive/base/s42',
      'bgbias/e2e/prepare/synthetic',
    ]) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      const payloads = collectPayloads(history);
      assert.ok(payloads.length > 0, id);
      for (const data of payloads) {
        assert.ok(data.length < 64 * 1024, `${id}: a ${data.length}-byte payload in the history`);
        const text = data.toString('utf8');
        assert.ok(!text.includes(services.endpoints.s3.secretKey), `${id}: the S3 secret key is in the history`);
        assert.ok(!text.includes(services.endpoints.s3.accessKey), `${id}: the S3 access key is in the history`);
      }
    }
  },
);

test('an invalid input fails reproducePaper at once, naming every bad field', { timeout: 120_000 }, async () => {
  const handle = await client.workflow.start('reproducePaper', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: reproduceId('bad-input'),
    args: [{ preset: 'smoke', overrides: { 'training.maxEpochs': -3, 'optimizer.lr': 'fast' } }],
  });
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  const message = deepMessage(err);
  assert.match(message, /training\.maxEpochs/);
  assert.match(message, /optimizer\.lr/);
  const p = await handle.query<Progress>('progress');
  assert.equal(p.stage, 'failed');
  assert.deepEqual(p.cells, []);
});

function deepMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    parts.push(e.message ?? '');
  return parts.join(' <- ');
}

/** Every payload's raw bytes in a history (inputs, results, signals, queries' recorded data, failures). */
function collectPayloads(history: unknown): Buffer[] {
  const out: Buffer[] = [];
  const visit = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (v instanceof Uint8Array) return;
    const rec = v as Record<string, unknown>;
    if (rec.data instanceof Uint8Array && rec.metadata) out.push(Buffer.from(rec.data));
    for (const value of Object.values(rec)) {
      if (Array.isArray(value)) value.forEach(visit);
      else visit(value);
    }
  };
  visit(history);
  return out;
}
