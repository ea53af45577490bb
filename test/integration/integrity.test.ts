/**
 * Trust in what the store holds, on real Temporal and MinIO with the tiny smoke grid:
 * - corrupt weights and a corrupt metric are detected, recomputed, and the report equals a clean run's;
 * - an experiment name reused with other settings is refused (stored or running), `replace` archives
 *   the old results, and a report never mixes cells of two configurations.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError, WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { refuseOtherStoredSettings, startOrJoin } from '../../cli/experimentGuard';
import { downloadReport } from '../../cli/downloadReport';
import { ExperimentConflictError } from '../../configs/experimentIdentity';
import { resolveExperiment } from '../../configs/resolve';
import { analyzeId, reproduceId, TASK_QUEUES } from '../../contracts/ids';
import { configDigest } from '../../activities/config';
import { readCellRecord } from '../../activities/cells';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { decodeTensorFile, encodeTensorFile } from '../../lib/ml/checkpoint/tensorFile';
import { parseReport, type Report } from '../../lib/report';
import type { ReproducePaperResult } from '../../workflows/reproducePaper';
import type { AnalyzeResult } from '../../workflows/analyze';
import type { TestServices } from '../helpers/services';
import { startIntegrationEnvironment, type IntegrationEnvironment } from '../helpers/integrationEnvironment';
import { resultExplained, tinyOverrides } from '../helpers/tinyExperiment';

let services: TestServices;
let env: IntegrationEnvironment;
let client: Client;
let store: ArtifactStore;

before(async () => {
  env = await startIntegrationEnvironment();
  ({ services, client } = env);
  store = await ArtifactStore.open(services.endpoints.s3, 'bgbias');
});

after(async () => {
  await env?.stop();
});

const EXP = 'integrity';
const inputA = { preset: 'smoke', overrides: tinyOverrides(EXP, { modes: ['base', 'bgaugment'] }) };
// Other settings under the same name: another loss, one cell.
const inputB = {
  preset: 'smoke',
  overrides: tinyOverrides(EXP, { losses: ['triplet'], modes: ['base'], 'attribution.figureLoss': 'triplet' }),
};

const startReproduce = (input: unknown, id = reproduceId(EXP)) =>
  client.workflow.start('reproducePaper', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: id,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
  });

async function analyzeForced(): Promise<AnalyzeResult> {
  const handle = await client.workflow.start('analyze', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: analyzeId(EXP),
    args: [{ experiment: EXP, force: true }],
  });
  return resultExplained<AnalyzeResult>(handle);
}

const reportAt = async (prefix: string) => parseReport(await store.getJson(`${prefix}/report.json`));
/** What the tables show of each cell (the report's own createdAt and backend aside). */
const tables = (r: Report) => [...r.cells].sort((a, b) => `${a.loss}/${a.mode}`.localeCompare(`${b.loss}/${b.mode}`));

/** Every console line the in-process workers print while `fn` runs. */
async function capturingLogs<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  try {
    return { value: await fn(), lines };
  } finally {
    console.log = original;
  }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let cleanReport: Report;
let cleanReportPrefix: string;

function deepMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    parts.push(e.message ?? '');
  return parts.join(' <- ');
}

test(
  'corrupt weights and a corrupt metric are detected, recomputed, and the report equals a clean run',
  { timeout: 600_000 },
  async () => {
    const first = await resultExplained<ReproducePaperResult>(await startReproduce(inputA));
    cleanReportPrefix = first.reportPrefix;
    cleanReport = await reportAt(first.reportPrefix);
    assert.equal(cleanReport.cells.length, 2);
    const base = await readCellRecord(store, `${EXP}/cells/synthetic/contrastive/base/s42.json`);
    const aug = await readCellRecord(store, `${EXP}/cells/synthetic/contrastive/bgaugment/s42.json`);

    // 1. Every float of the base model's stored best weights negated (a valid file, wrong weights).
    const weightsKey = base.train.bestWeightsKey;
    const cleanWeights = await store.getBuffer(weightsKey);
    const decoded = decodeTensorFile(cleanWeights, weightsKey);
    for (const t of decoded.tensors.values()) for (let i = 0; i < t.data.length; i++) t.data[i] = -t.data[i];
    await store.putBuffer(weightsKey, encodeTensorFile(decoded.tensors, decoded.meta));
    // 2. The BGAugment model's clean MAP@R edited to 0.5 in its evaluation manifest.
    const manifestKey = `${aug.evaluation.prefix}/_manifest.json`;
    const manifest = await store.getJson<{ metrics: { clean: { mapAtR: number } } }>(manifestKey);
    assert.notEqual(manifest.metrics.clean.mapAtR, 0.5);
    manifest.metrics.clean.mapAtR = 0.5;
    await store.putJson(manifestKey, manifest);

    const { value: rerun, lines } = await capturingLogs(async () =>
      resultExplained<ReproducePaperResult>(await startReproduce(inputA)),
    );
    // Both detected, each naming its object, and recomputed rather than used.
    const weightsLine = lines.find((l) => l.includes('stored result not used') && l.includes(weightsKey));
    assert.ok(weightsLine, `no line names ${weightsKey}:\n${lines.join('\n')}`);
    assert.match(weightsLine, /file sha256 mismatch \(expected [0-9a-f]{64}, actual [0-9a-f]{64}\)/);
    const metricLine = lines.find((l) => l.includes('stored result not used') && l.includes(manifestKey));
    assert.ok(metricLine, `no line names ${manifestKey}:\n${lines.join('\n')}`);
    assert.match(metricLine, /content hash mismatch/);
    const cellOf = (id: string) => rerun.cells.find((c) => c.cellId === id)!;
    assert.equal(cellOf(base.cellId).trainCached, false);
    assert.equal(cellOf(aug.cellId).trainCached, true);
    assert.equal(cellOf(aug.cellId).evaluationCached, false);
    // The recomputed weights are the clean ones again (the training resumed from its verified
    // checkpoint, which had finished), and the metric is the clean run's.
    assert.equal(sha(await store.getBuffer(weightsKey)), sha(cleanWeights));
    assert.deepEqual(cellOf(aug.cellId).clean, aug.evaluation.clean);

    // A fresh analysis (attribution recomputed from the stored weights, report from the stored
    // metrics): the same tables as the clean run's.
    const analysis = await analyzeForced();
    assert.ok(analysis.attributions.every((a) => !a.result.cached));
    assert.deepEqual(tables(await reportAt(analysis.reportPrefix)), tables(cleanReport));
  },
);

test(
  'a name reused with other settings is refused (stored or running); replace archives; reports never mix',
  { timeout: 600_000 },
  async () => {
    assert.ok(cleanReport, 'needs the experiment of the test before');
    const configA = resolveExperiment(inputA);
    const configB = resolveExperiment(inputB);
    const digestA = configDigest(configA);
    const cellsA = await store.list(`${EXP}/cells/`);
    assert.equal(cellsA.length, 2);

    // The CLI's check before any worker starts: refused, naming the settings and the way out.
    const refusal = await refuseOtherStoredSettings(services.endpoints.s3, configB, false).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(refusal instanceof ExperimentConflictError, String(refusal));
    assert.match(refusal.message, /^experiment integrity holds stored results with other settings:/);
    assert.match(refusal.message, /\n {2}losses: \["contrastive"\] -> \["triplet"\]\n/);
    assert.match(refusal.message, /\n {2}modes: \["base","bgaugment"\] -> \["base"\]\n/);
    assert.match(refusal.message, /use a new name \(experiment=<new-name>\), or rerun with --replace/);

    // The workflow itself refuses too (a run started without the CLI), at once and for good.
    const t0 = Date.now();
    const failed = await (await startReproduce(inputB)).result().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(failed instanceof WorkflowFailedError, String(failed));
    assert.match(deepMessage(failed), /losses: \["contrastive"\] -> \["triplet"\]/);
    assert.ok(Date.now() - t0 < 30_000, `refusal took ${Date.now() - t0} ms`);
    assert.deepEqual(await store.list(`${EXP}/cells/`), cellsA, 'a refused run changes nothing');

    // With replace: started; a second run with the first settings meanwhile is refused, while one
    // with the same settings joins it.
    const running = await startReproduce({ ...inputB, replace: true });
    const conflict = await startOrJoin(client, configA, () => startReproduce(inputA)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(conflict instanceof ExperimentConflictError, String(conflict));
    assert.match(
      conflict.message,
      /^experiment integrity holds the running workflow bgbias\/integrity with other settings:/,
    );
    assert.match(conflict.message, /losses: \["triplet"\] -> \["contrastive"\]/);
    assert.match(conflict.message, /wait until it has finished/);
    const joined = await startOrJoin(client, configB, () => startReproduce(inputB));
    assert.equal(joined.joined, true);
    assert.equal(joined.handle.workflowId, running.workflowId);
    const b = await resultExplained<ReproducePaperResult>(running);
    assert.deepEqual(
      b.cells.map((c) => c.cellId),
      ['synthetic/triplet/base/s42'],
    );

    // The old results survive: config.json and records under archive/<digest A>/, stage outputs in place.
    const archive = `${EXP}/archive/${digestA}`;
    assert.deepEqual(await store.list(`${archive}/`), [
      `${archive}/cells/synthetic/contrastive/base/s42.json`,
      `${archive}/cells/synthetic/contrastive/bgaugment/s42.json`,
      `${archive}/config.json`,
    ]);
    const archived = await readCellRecord(store, `${archive}/cells/synthetic/contrastive/base/s42.json`);
    assert.equal(archived.configDigest, digestA);
    assert.ok(await store.exists(archived.train.bestWeightsKey));
    assert.ok(await store.exists(`${cleanReportPrefix}/report.json`), 'the old report is kept');
    assert.deepEqual(await store.list(`${EXP}/cells/`), [`${EXP}/cells/synthetic/triplet/base/s42.json`]);

    // A stray record of the old settings back under cells/: left out of analysis and report.
    const stray = `${EXP}/cells/synthetic/contrastive/base/s42.json`;
    await store.putBuffer(stray, await store.getBuffer(`${archive}/cells/synthetic/contrastive/base/s42.json`));
    const analysis = await analyzeForced();
    assert.deepEqual(analysis.skipped, [stray]);
    const report = await reportAt(analysis.reportPrefix);
    assert.deepEqual(
      report.cells.map((c) => `${c.loss}/${c.mode}`),
      ['triplet/base'],
    );

    // The CLI's copy of the report is checked too: an edited report.json is refused, naming it.
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-report-'));
    try {
      const files = await downloadReport(services.endpoints.s3, 'bgbias', analysis.reportPrefix, out);
      assert.ok(files.names.includes('report.json'));
      const edited = { ...report, cells: report.cells.map((c) => ({ ...c, clean: { ...c.clean, mapAtR: 0.5 } })) };
      await store.putJson(`${analysis.reportPrefix}/report.json`, edited);
      await assert.rejects(
        downloadReport(services.endpoints.s3, 'bgbias', analysis.reportPrefix, out),
        new RegExp(`corrupt object s3://bgbias/${analysis.reportPrefix}/report\\.json: file sha256 mismatch`),
      );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  },
);
