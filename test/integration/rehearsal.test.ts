/**
 * The paper preset's real-dataset path as a rehearsal (`--rehearse`), offline, end to end on real
 * Temporal + MinIO: a miniature CUB_200_2011.tgz in the real layout (test/helpers/miniCubArchive.ts)
 * downloaded over local HTTP, u2net masks through onnxruntime from the stand-in u2net-signature
 * model, BN-Inception at 227 x 227 from a Cadene-layout legacy .pth made at test time (hashed random
 * weights, 45 MB, never committed), the paper's backgrounds and hand-labelled masks from a local
 * stand-in of the paper repository. 2 losses x 2 modes on CUB through every stage to the report.
 *
 * CI sizes (the full run these describe: batch 8, 2 SmoothGrad copies): the rehearsal's cut keeps
 * 8 train classes (ceil(8 / m=1)), and 4 val and 4 test classes by override, 4 images each.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { SOURCES_ENV } from '../../activities/realDataset/sources';
import { PAPER_DATA_ENV } from '../../activities/paperData';
import { cellKey, readCellRecord } from '../../activities/cells';
import { parseReport } from '../../lib/report';
import { decodeSafetensors } from '../../lib/io/safetensors';
import { decodeTensorFile } from '../../lib/ml/checkpoint/tensorFile';
import { bnInceptionParameterShapes } from '../../lib/ml/models/bnInception';
import { torchToTfLayout } from '../../lib/ml/torch/layout';
import { exportCellSafetensors } from '../../cli/exportCell';
import { formatCostEstimate } from '../../lib/report/costEstimate';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { readManifest } from '../../lib/store/stageOutput';
import type { Progress } from '../../workflows/progress';
import type { ReproducePaperResult } from '../../workflows/reproducePaper';
import { writeCadeneBnInceptionFile } from '../helpers/bnInceptionFile';
import { startHttpFileServer, type HttpFileServer } from '../helpers/httpFileServer';
import { writeMiniCubArchive, type MiniCub } from '../helpers/miniCubArchive';
import { startPaperRepoServer, type PaperRepoServer } from '../helpers/paperRepoServer';
import type { TestServices } from '../helpers/services';
import { startIntegrationEnvironment, type IntegrationEnvironment } from '../helpers/integrationEnvironment';
import { SHARED_DATA_MISSING } from '../helpers/sharedData';
import { resultExplained } from '../helpers/tinyExperiment';
import { reproducePaperStart } from '../../cli/reproducePaperStart';

const U2NET = readFileSync(join(__dirname, '..', 'fixtures', 'data', 'u2net', 'tiny_u2net.onnx'));
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const IMAGES_PER_CLASS = 4;

// No local copy for the workers of this process: the paper's files come over HTTP.
delete process.env[PAPER_DATA_ENV];

let tmp: string;
let cub: MiniCub;
let weights: { name: string; sha256: string; bytes: number };
let files: HttpFileServer;
let paperRepo: PaperRepoServer;
let services: TestServices;
let env: IntegrationEnvironment;
let client: Client;

before(async () => {
  if (SHARED_DATA_MISSING) return;
  tmp = mkdtempSync(join(tmpdir(), 'bgrehearsal-'));
  mkdirSync(join(tmp, 'data'));
  mkdirSync(join(tmp, 'weights'));
  cub = await writeMiniCubArchive(join(tmp, 'data'), { richClasses: 8, imagesPerRichClass: IMAGES_PER_CLASS });
  weights = await writeCadeneBnInceptionFile(join(tmp, 'weights'));
  // The miniature is another dataset than the published one: its sum and counts are declared.
  writeFileSync(
    join(tmp, 'sources.json'),
    JSON.stringify({ cub200: { files: { 'CUB_200_2011.tgz': { md5: cub.md5, urls: [] } }, expected: cub.expected } }),
  );
  process.env[SOURCES_ENV] = join(tmp, 'sources.json');
  files = await startHttpFileServer({ '/data/': join(tmp, 'data'), '/weights/': join(tmp, 'weights') });
  files.put('/models/u2net.onnx', U2NET);
  paperRepo = await startPaperRepoServer();
  env = await startIntegrationEnvironment();
  ({ services, client } = env);
});

after(async () => {
  await env?.stop();
  await files?.close();
  await paperRepo?.server.close();
  delete process.env[SOURCES_ENV];
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const inRange = (v: number, what: string) => assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `${what} = ${v}`);

test(
  'rehearsal of the paper preset on a miniature CUB archive: BN-Inception 227, u2net masks, 2 losses x 2 modes, ' +
    'every stage to the report and the cost estimate',
  { skip: SHARED_DATA_MISSING, timeout: 900_000 },
  async () => {
    const input = {
      preset: 'paper',
      rehearse: true,
      overrides: {
        experiment: 'ci',
        datasets: ['cub200'],
        losses: ['contrastive', 'normalized_softmax'],
        'sampler.batchSize': 8,
        'attribution.copies': 2,
        'data.mirrors': { 'CUB_200_2011.tgz': [`${files.baseUrl}/data/CUB_200_2011.tgz`] },
        'data.paperRepoUrl': paperRepo.paperRepoUrl,
        'data.masks.u2netUrl': `${files.baseUrl}/models/u2net.onnx`,
        'data.masks.u2netMd5': md5(U2NET),
        'model.pretrainedUrl': `${files.baseUrl}/weights/${weights.name}`,
        'model.pretrainedSha256Prefix': weights.sha256.slice(0, 9),
        'rehearsal.cut.val.classes': 4,
        'rehearsal.cut.test.classes': 4,
      },
    };
    const experiment = 'ci-rehearsal';
    const t0 = Date.now();
    const handle = await client.workflow.start('reproducePaper', reproducePaperStart(experiment, 'paper', input));
    const result = await resultExplained<ReproducePaperResult>(handle);
    const seconds = (Date.now() - t0) / 1000;
    const progress = await handle.query<Progress>('progress');
    assert.equal(result.experiment, experiment);
    assert.equal(progress.stage, 'done');
    assert.deepEqual(result.cells.map((c) => c.cellId).sort(), [
      'cub200/contrastive/base/s42',
      'cub200/contrastive/bgaugment/s42',
      'cub200/normalized_softmax/base/s42',
      'cub200/normalized_softmax/bgaugment/s42',
    ]);
    const store = await ArtifactStore.open(services.endpoints.s3, 'bgbias');
    assert.deepEqual(await store.list('ci/'), [], "the rehearsal never writes under the full run's experiment");

    // The cut: 8 train classes (batch 8, m = 1), 4 val and 4 test classes, 4 images each, from the
    // whole dataset, whose sizes the records keep for the estimate.
    const records = await Promise.all(result.cells.map((c) => readCellRecord(store, cellKey(experiment, c.cellId))));
    const ds = records[0].dataset;
    assert.deepEqual(
      [ds.splits.train, ds.splits.val, ds.splits.test].map((s) => [s.count, s.numClasses]),
      [
        [8 * IMAGES_PER_CLASS, 8],
        [4 * IMAGES_PER_CLASS, 4],
        [4 * IMAGES_PER_CLASS, 4],
      ],
    );
    assert.deepEqual(ds.full, {
      train: { count: 8 * IMAGES_PER_CLASS + 67, numClasses: 75 },
      val: { count: 8 * IMAGES_PER_CLASS + 17, numClasses: 25 },
      test: { count: cub.expected.test, numClasses: 100 },
    });
    assert.equal(ds.maskTiming?.images, 16 * IMAGES_PER_CLASS, 'u2net masked every image of the cut');
    for (const r of records) {
      assert.equal(r.train.epochsTrained, 2);
      assert.ok(r.train.timing && r.train.timing.epoch === 2 && r.train.timing.stepSeconds > 0);
      assert.equal(r.train.backend?.name, 'tensorflow');
    }

    // The report: every table, every metric finite and in range (parseReport checks the ranges too).
    const report = parseReport(await store.getJson(`${result.reportPrefix}/report.json`));
    assert.equal(report.experiment, experiment);
    assert.equal(report.cells.length, 4);
    for (const c of report.cells) {
      const id = `${c.loss}/${c.mode}`;
      for (const k of ['mapAtR', 'precisionAt1', 'rPrecision'] as const) {
        inRange(c.clean[k], `${id} clean ${k}`);
        inRange(c.swapped[k].mean, `${id} swapped ${k}`);
        assert.equal(c.swapped[k].reps.length, 1);
      }
      assert.ok(
        c.attention && c.attention.n >= 1 && c.attention.n <= 2,
        `${id} attention ${JSON.stringify(c.attention)}`,
      );
      assert.ok(Number.isFinite(c.attention.mean) && c.attention.mean <= 1, `${id} attention mean`);
    }
    assert.ok(report.effect && Number.isFinite(report.effect.baseMeanDrop), 'the effect of the two modes');
    assert.ok(
      report.maskQuality?.some((m) => m.dataset === 'cub200'),
      'mask quality of cub200',
    );
    const md = (await store.getBuffer(`${result.reportPrefix}/tables.md`)).toString('utf8');
    for (const heading of ['## Table 1', '## Table 2', '## Mask quality', '## Cost estimate of the full run'])
      assert.ok(md.includes(heading), `tables.md lacks ${heading}`);
    const html = (await store.getBuffer(`${result.reportPrefix}/report.html`)).toString('utf8');
    assert.match(html, /Cost estimate of the full run/);
    assert.ok(await store.exists(`${result.reportPrefix}/attention.png`), 'the attention figure');

    // `bgbias export` of a trained BN-Inception cell: Cadene's state_dict, in PyTorch's layouts, holding
    // exactly the stored best weights (brought back to tfjs layouts by the loader's own conversion).
    const exportedCell = result.cells[0].cellId;
    const { bytes } = await exportCellSafetensors(services.endpoints.s3, 'bgbias', experiment, exportedCell);
    const exported = decodeSafetensors(bytes, 'export');
    assert.equal(exported.metadata.cell, exportedCell);
    const best = decodeTensorFile(await store.getBuffer(records[0].train.bestWeightsKey), 'best').tensors;
    assert.deepEqual([...exported.tensors.keys()].sort(), [...bnInceptionParameterShapes(128).keys()].sort());
    for (const [name, t] of exported.tensors) {
      const stored = best.get(`model/${name}`)!;
      const back = torchToTfLayout(t.data, t.shape);
      assert.deepEqual(back.shape, stored.shape, name);
      assert.ok(
        back.data.every((v, i) => v === stored.data[i]),
        `${name}: the exported values are not the stored ones`,
      );
    }

    // The estimate: in the result, the report and the progress query; finite, positive, both epoch counts.
    const e = result.costEstimate;
    assert.ok(e, 'no cost estimate in the result');
    assert.deepEqual(report.costEstimate, e);
    assert.deepEqual(progress.costEstimate, e);
    assert.deepEqual([e.epochs.minimum, e.epochs.typical], [16, 80]);
    assert.equal(e.grid.cells, 4);
    assert.ok(e.measured.attributionSecondsPerImage !== null && e.measured.attributionSecondsPerImage > 0);
    const row = e.datasets[0];
    assert.ok(row.maskHours !== null && row.maskHours > 0, 'mask time measured');
    assert.ok(row.cellHours.minimum > 0 && row.cellHours.typical > row.cellHours.minimum);
    assert.ok(Number.isFinite(e.grid.hours.typical) && e.grid.hours.typical > e.grid.hours.minimum);

    // Every stage's manifest lists files that are in the store, with the recorded sizes.
    const prefixes = [
      ds.prefix,
      records[0].backgrounds.prefix,
      ...records.flatMap((r) => [r.train.prefix, r.evaluation.prefix]),
      result.reportPrefix,
    ];
    const allManifests = (await store.list(`${experiment}/`)).filter((k) => k.endsWith('/_manifest.json'));
    for (const k of allManifests) prefixes.push(k.slice(0, -'/_manifest.json'.length));
    assert.ok(
      allManifests.some((k) => k.includes('/attribution/')),
      'attribution manifests',
    );
    for (const prefix of new Set(prefixes)) {
      assert.ok(prefix.startsWith(`${experiment}/`), prefix);
      const manifest = await readManifest(store, prefix);
      assert.ok(manifest, `no manifest under ${prefix}`);
      for (const f of manifest.files) {
        assert.ok(f.key.startsWith(`${prefix}/`), `${f.key} outside ${prefix}`);
        assert.equal((await store.stat(f.key))?.size, f.size, f.key);
      }
    }
    console.log(`rehearsal test: ${seconds.toFixed(1)} s for the workflow\n${formatCostEstimate(e).join('\n')}`);
  },
);
