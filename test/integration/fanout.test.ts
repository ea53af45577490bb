/**
 * Attribution fanned out over several workers standing for several machines: three worker processes,
 * each with its own state and cache folder, serve the queues; one is SIGKILLed while it holds an
 * attribution chunk; the chunk is redone by another worker, and the stored attention scores and
 * figure maps equal those of the same experiment run by one worker alone.
 *
 * (Masks: the synthetic dataset's masks are exact, so no u2net part runs here; the u2net mask parts
 * have their own three-worker kill test, fanoutMasks.test.ts.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectedClient } from '../../cli/temporalClient';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { analyzeId, reproduceId, TASK_QUEUES } from '../../contracts/ids';
import type { ReproducePaperResult } from '../../workflows/reproducePaper';
import type { CellRecord } from '../../activities/types';
import type { TestServices } from '../helpers/services';
import { startIntegrationEnvironment, type IntegrationEnvironment } from '../helpers/integrationEnvironment';
import { resultExplained, tinyOverrides } from '../helpers/tinyExperiment';
import { SHARED_DATA } from '../helpers/sharedData';
import { killWorkerRunning, WorkerFleet, type WorkerProcess } from '../helpers/workerProcess';

let services: TestServices;
let env: IntegrationEnvironment;
let temporal: ConnectedClient;
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-fanout-'));

before(async () => {
  env = await startIntegrationEnvironment({ workers: false }); // the workers are processes, started by the tests
  ({ services, temporal } = env);
});

after(async () => {
  fleet.killAll();
  await env?.stop();
  fs.rmSync(logDir, { recursive: true, force: true });
});

const fleet = new WorkerFleet({
  endpoints: () => services.endpoints,
  dir: logDir,
  paperDataDir: SHARED_DATA,
  args: ['--threads', '1', '--input-workers', '1'],
});
const startWorker = (name: string): WorkerProcess => fleet.start(name);

const IMAGES = 8;
const CHUNK = 2;
const overrides = (experiment: string) =>
  tinyOverrides(experiment, {
    modes: ['base'],
    'attribution.maxImages': IMAGES,
    'attribution.chunkImages': CHUNK,
    'attribution.copies': 6,
    'attribution.figureImages': 3,
  });

const CELL = 'synthetic/contrastive/base/s42';
const attributionWorkflow = (experiment: string) => `${analyzeId(experiment)}/attribution/${CELL}`;

async function run(experiment: string): Promise<{ record: CellRecord; result: ReproducePaperResult }> {
  const handle = await temporal.client.workflow.start('reproducePaper', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: reproduceId(experiment),
    args: [{ preset: 'smoke', overrides: overrides(experiment) }],
  });
  const result = await resultExplained<ReproducePaperResult>(handle);
  const store = await ArtifactStore.open(services.endpoints.s3, 'bgbias');
  return { record: await store.getJson<CellRecord>(`${experiment}/cells/${CELL}.json`), result };
}

/** What the experiment stored of its attribution: scores.json and figure-maps.bgwt of the combined stage. */
async function attributionFiles(experiment: string): Promise<{ scores: Buffer; maps: Buffer }> {
  const store = await ArtifactStore.open(services.endpoints.s3, 'bgbias');
  const keys = await store.list(`${experiment}/attribution/`);
  const scores = keys.filter((k) => k.endsWith('/scores.json'));
  const maps = keys.filter((k) => k.endsWith('/figure-maps.bgwt'));
  assert.equal(scores.length, 1, `${experiment}: ${keys.join(', ')}`);
  assert.equal(maps.length, 1);
  return { scores: await store.getBuffer(scores[0]), maps: await store.getBuffer(maps[0]) };
}

test(
  'three workers, one SIGKILLed while it holds an attribution chunk: the chunk is redone elsewhere, results equal one worker',
  { timeout: 600_000 },
  async () => {
    // Reference: one worker alone.
    const solo = startWorker('solo');
    const one = await run('fanout-one');
    const reference = await attributionFiles('fanout-one');

    // Three workers (the first one stays), each with its own cache folder.
    const workers = [solo, startWorker('w2'), startWorker('w3')];
    const handle = await temporal.client.workflow.start('reproducePaper', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: reproduceId('fanout-three'),
      args: [{ preset: 'smoke', overrides: overrides('fanout-three') }],
    });
    // Wait for a started attributeChunk, then kill the worker that holds it.
    const attribution = temporal.client.workflow.getHandle(attributionWorkflow('fanout-three'));
    const killed = await killWorkerRunning(() => attribution.describe(), 'attributeChunk', workers, 400_000);
    const three = await resultExplained<ReproducePaperResult>(handle);
    assert.equal(three.cells.length, 1);

    // The killed worker's chunk ran again, on another worker.
    const history = await temporal.client.workflow.getHandle(attributionWorkflow('fanout-three')).fetchHistory();
    const startedBy = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes)
      .filter((s): s is NonNullable<typeof s> => !!s)
      .map((s) => ({ identity: s.identity ?? '', attempt: s.attempt ?? 1 }));
    // Started events of retried activities are written when they complete: the retry is attempt > 1.
    const retried = startedBy.filter((s) => s.attempt > killed.attempt);
    assert.ok(retried.length >= 1, `no chunk was retried: ${JSON.stringify(startedBy)}`);
    for (const r of retried) assert.ok(!r.identity.startsWith(`${killed.pid}@`), 'retried on the killed worker');
    const identities = new Set(startedBy.map((s) => s.identity));
    assert.ok(identities.size >= 2, `chunks ran on ${identities.size} worker(s): ${[...identities].join(', ')}`);

    // Same stored scores and maps (bytes), same attention as the one-worker run.
    const got = await attributionFiles('fanout-three');
    assert.ok(got.scores.equals(reference.scores), 'scores.json differs from the one-worker run');
    assert.ok(got.maps.equals(reference.maps), 'figure-maps.bgwt differs from the one-worker run');
    assert.deepEqual(three.cells, one.result.cells);
  },
);
