/**
 * The auditModel workflow on real Temporal and S3 servers and the real activities: a tiny smoke
 * experiment is trained first (the store then holds a bgbias model, a prepared test split and the
 * test backgrounds), then audited three ways: the bgbias cell itself, and the fixture network of
 * test/fixtures/audit/tiny_net as a tfjs layers model and as ONNX on that experiment's test split.
 * Checked: the reports (JSON/Markdown/HTML, protocol table with intervals, the recorded input
 * convention, attention maps for tfjs and bgbias, "not available" for ONNX), tfjs and ONNX agreeing
 * on every metric, the progress query, reruns answered from the store, and bad inputs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { auditWorkflowId, type AuditModelInput, type AuditProgress } from '../../contracts/audit';
import { reproduceId, TASK_QUEUES } from '../../contracts/ids';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { parseAuditReport, type AuditReport } from '../../lib/report/audit/auditReportSchema';
import type { AuditModelResult } from '../../workflows/auditModel';
import type { ReproducePaperResult } from '../../workflows/reproducePaper';
import type { TestServices } from '../helpers/services';
import { startIntegrationEnvironment, type IntegrationEnvironment } from '../helpers/integrationEnvironment';
import { resultExplained, tinyOverrides } from '../helpers/tinyExperiment';
import { SHARED_DATA_MISSING } from '../helpers/sharedData';
import { assertCleanPage, checkPageInBrowser, CHROMIUM_MISSING } from '../helpers/browser';

const EXPERIMENT = 'audit-it';
const CELL = 'synthetic/contrastive/base/s42'; // the smoke preset's seed
const FIXTURES = path.join(__dirname, '../fixtures/audit/tiny_net');

let services: TestServices;
let env: IntegrationEnvironment;
let client: Client;
let store: ArtifactStore;
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-audit-it-'));

before(async () => {
  if (SHARED_DATA_MISSING) return;
  env = await startIntegrationEnvironment();
  ({ services, client } = env);
  store = await ArtifactStore.open(services.endpoints.s3, 'bgbias');
  const handle = await client.workflow.start('reproducePaper', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: reproduceId(EXPERIMENT),
    args: [{ preset: 'smoke', overrides: tinyOverrides(EXPERIMENT, { modes: ['base'] }) }],
  });
  await resultExplained<ReproducePaperResult>(handle);
});

after(async () => {
  await env?.stop();
  fs.rmSync(outDir, { recursive: true, force: true });
});

let runs = 0;
async function audit(input: AuditModelInput) {
  const handle = await client.workflow.start('auditModel', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: auditWorkflowId(`it-${runs++}`),
    args: [input],
  });
  const result = await resultExplained<AuditModelResult>(handle);
  const progress = await handle.query<AuditProgress>('progress');
  const dir = path.join(outDir, handle.workflowId.replace(/\//g, '_'));
  fs.mkdirSync(dir, { recursive: true });
  for (const key of await store.list(`${result.report.prefix}/`)) {
    if (!key.endsWith('_manifest.json'))
      await store.download(key, path.join(dir, key.slice(result.report.prefix.length + 1)));
  }
  const report = parseAuditReport(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')));
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return { result, progress, report, dir, md: read('report.md'), html: read('report.html') };
}

const SETTINGS = { repetitions: 2, seed: 7, bootstrap: { resamples: 200 } };
const tfjsInput: AuditModelInput = {
  model: { kind: 'tfjs', path: path.join(FIXTURES, 'layers/model.json') },
  images: { experiment: EXPERIMENT, dataset: 'synthetic' },
  settings: SETTINGS,
  attribution: { images: 4, copies: 3, figureImages: 2 },
};

function checkTable(report: AuditReport, md: string, html: string) {
  const names = report.rows.map((r) => r.protocol);
  assert.deepEqual(names, [
    'clean',
    'swapped',
    'swapped-query',
    'swapped-gallery',
    'only-fg',
    'only-bg',
    'mixed-same',
    'mixed-rand',
  ]);
  for (const r of report.rows) {
    for (const m of ['mapAtR', 'precisionAt1', 'rPrecision'] as const) {
      const v = r[m];
      assert.ok(v.lower <= v.mean + 1e-12 && v.mean <= v.upper + 1e-12, `${r.protocol} ${m}: mean inside its CI`);
      assert.ok(v.mean >= 0 && v.mean <= 1);
    }
    // drawn protocols ran twice and report a std; the others once, without one
    const drawn = r.protocol.startsWith('swapped') || r.protocol.startsWith('mixed');
    assert.equal(r.repetitions, drawn ? 2 : 1, r.protocol);
    assert.equal(r.mapAtR.std === null, !drawn, r.protocol);
  }
  assert.ok(report.bgGap, 'BG-Gap present');
  const same = report.rows.find((r) => r.protocol === 'mixed-same')!;
  const rand = report.rows.find((r) => r.protocol === 'mixed-rand')!;
  assert.ok(Math.abs(report.bgGap.mapAtR.estimate - (same.mapAtR.mean - rand.mapAtR.mean)) < 1e-9);
  for (const n of ['clean', 'only-bg', 'BG-Gap']) {
    assert.match(md, new RegExp(`\\| ${n}`), `markdown row ${n}`);
    assert.ok(html.includes(`<td>${n}`) || html.includes(`>${n}`), `html row ${n}`);
  }
  assert.match(html, /<svg[^>]*aria-label="protocol metrics"/);
  assert.match(md, /## Input convention/);
}

test(
  'a tfjs model audited on a stored split: table with intervals, convention recorded, attention maps',
  { skip: SHARED_DATA_MISSING },
  async () => {
    const { result, progress, report, dir, md, html } = await audit(tfjsInput);
    assert.equal(result.audit.cached, false);
    assert.equal(report.model.kind, 'tfjs-layers');
    assert.equal(report.model.source, path.join(FIXTURES, 'layers/model.json')); // the path given, not a cache path
    assert.equal(report.model.convention.channels, 'bgr');
    assert.deepEqual(report.model.convention.mean, [104, 117, 128]);
    assert.equal(report.images.numImages, 24); // 4 test classes x 6 images
    assert.equal(report.images.split, 'test');
    checkTable(report, md, html);
    assert.equal(report.attribution.available, true);
    if (report.attribution.available) {
      assert.equal(report.attribution.attention.n, 4);
      assert.ok(Number.isFinite(report.attribution.attention.mean) && report.attribution.attention.mean! <= 1); // 1 = all on the object
      assert.equal(report.attribution.figure, 'attention.png');
    }
    assert.ok(fs.statSync(path.join(dir, 'attention.png')).size > 500);
    assert.match(html, /<img id="attention-figure" src="attention.png"/);
    // the progress query: finished, and the activity's signals arrived for the embedded image sets
    assert.equal(progress.stage, 'done');
    assert.ok(progress.setsEmbedded >= 5, `sets embedded: ${progress.setsEmbedded}`);
    assert.equal(progress.reportPrefix, result.report.prefix);
    // the draws are recorded beside the results
    const draws = await store.getJson<Array<{ protocol: string; repetitions: unknown[] }>>(
      `${result.audit.prefix}/draws.json`,
    );
    assert.deepEqual(
      draws.map((d) => d.protocol),
      ['swapped', 'swapped-query', 'swapped-gallery', 'mixed-same', 'mixed-rand'],
    );

    // Rerun: same model bytes, images and settings from another path -> answered from the store.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-model-copy-'));
    for (const f of fs.readdirSync(path.join(FIXTURES, 'layers')))
      fs.copyFileSync(path.join(FIXTURES, 'layers', f), path.join(copy, f));
    const again = await audit({ ...tfjsInput, model: { kind: 'tfjs', path: path.join(copy, 'model.json') } });
    assert.equal(again.result.audit.cached, true);
    assert.equal(again.result.audit.digest, result.audit.digest);
    assert.deepEqual(again.report.rows, report.rows);
    const same = await audit(tfjsInput);
    assert.equal(same.result.audit.cached, true);
    assert.equal(same.result.report.cached, true);
    // One changed weight byte: a new audit.
    const weights = fs.readFileSync(path.join(copy, 'weights.bin'));
    weights[weights.length - 1] ^= 1;
    fs.writeFileSync(path.join(copy, 'weights.bin'), weights);
    const changed = await audit({
      ...tfjsInput,
      model: { kind: 'tfjs', path: path.join(copy, 'model.json') },
      settings: { ...SETTINGS, protocols: ['clean'] },
    });
    assert.equal(changed.result.audit.cached, false);
    fs.rmSync(copy, { recursive: true, force: true });

    // The same network as ONNX (other convention: RGB 0-1 NCHW): same metrics, no attribution.
    const onnx = await audit({
      ...tfjsInput,
      model: { kind: 'onnx', path: path.join(FIXTURES, 'onnx/tiny_net.onnx') },
    });
    assert.equal(onnx.report.model.kind, 'onnx');
    assert.equal(onnx.report.model.convention.layout, 'nchw');
    assert.equal(onnx.report.attribution.available, false);
    assert.match(onnx.html, /id="attribution-unavailable"[^>]*>Attribution not available/);
    assert.match(onnx.md, /Attribution not available for this model: attribution is not available for ONNX models/);
    assert.ok(!fs.existsSync(path.join(onnx.dir, 'attention.png')));
    // The reports the workflow wrote, in a real browser (the same check as reportsInBrowser.test.ts).
    if (!CHROMIUM_MISSING) {
      const headings = ['Protocols', 'Input convention'];
      assertCleanPage(await checkPageInBrowser(path.join(dir, 'report.html'), headings, 'audit-it-tfjs'), 1, headings);
      assertCleanPage(
        await checkPageInBrowser(path.join(onnx.dir, 'report.html'), headings, 'audit-it-onnx'),
        0,
        headings,
      );
    }
    for (const [k, r] of onnx.report.rows.entries()) {
      for (const m of ['mapAtR', 'precisionAt1', 'rPrecision'] as const)
        assert.ok(
          Math.abs(r[m].mean - report.rows[k][m].mean) < 1e-6,
          `${r.protocol} ${m}: onnx ${r[m].mean} tfjs ${report.rows[k][m].mean}`,
        );
    }
  },
);

test(
  'a bgbias model audited by experiment and cell, on its own test split, with attention maps',
  { skip: SHARED_DATA_MISSING },
  async () => {
    const { report, html, md } = await audit({
      model: { kind: 'bgbias', experiment: EXPERIMENT, cell: CELL },
      settings: SETTINGS,
      attribution: { images: 3, copies: 2, figureImages: 1 },
    });
    assert.equal(report.model.kind, 'bgbias');
    assert.equal(report.model.source, `${EXPERIMENT}/${CELL}`);
    assert.equal(report.model.convention.size, 32); // the experiment's transform.crop
    assert.equal(report.images.dataset, 'synthetic');
    checkTable(report, md, html);
    assert.equal(report.attribution.available, true);
    if (report.attribution.available) assert.equal(report.attribution.distance, 'euclidean'); // contrastive
  },
);

test('bad inputs fail at once with the field and what was expected', { skip: SHARED_DATA_MISSING }, async () => {
  const cases: Array<[AuditModelInput, RegExp]> = [
    [
      { model: { kind: 'bgbias', experiment: EXPERIMENT, cell: 'synthetic/nope/base/s0' } },
      /no trained cell synthetic\/nope\/base\/s0.*trained: synthetic\/contrastive\/base\/s42/,
    ],
    [
      { ...tfjsInput, images: { experiment: EXPERIMENT, dataset: 'cub200' } },
      /images.dataset: experiment audit-it holds no prepared cub200 \(its datasets: synthetic\)/,
    ],
    [
      { ...tfjsInput, settings: { repetitions: 0 } },
      /auditModel input: settings: invalid:\n\s+- repetitions: Too small/,
    ],
    [
      { ...tfjsInput, convention: { size: 16, channels: 'xyz', range: '0-255' } },
      /auditModel input: convention: invalid input convention:\n\s+- channels: /,
    ],
    [
      { ...tfjsInput, model: { kind: 'onnx', path: '/nonexistent/model.onnx' } },
      /ONNX model \/nonexistent\/model.onnx: cannot read it/,
    ],
  ];
  for (const [input, message] of cases) {
    const handle = await client.workflow.start('auditModel', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: auditWorkflowId(`bad-${runs++}`),
      args: [input],
    });
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      let text = '';
      for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
        text += ` ${e.message}`;
      assert.match(text, message);
      return true;
    });
  }
});
