import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExperimentConfig } from '../configs/schema';
import { decodeTensorFile } from '../lib/ml/checkpoint/tensorFile';
import {
  computeEffect,
  renderAttentionFigure,
  writeReportFiles,
  type AttentionFigureRow,
  type Report,
  type ReportCell,
} from '../lib/report';
import type { CostEstimate } from '../lib/report/costEstimate';
import { readManifest, readVerifiedStageFile } from '../lib/store/stageOutput';
import { IntegrityError } from '../contracts/errors';
import { cellKey, readCellRecord } from './cells';
import { configDigest } from './config';
import { rehearsalCostEstimate } from './costEstimate';
import { badInput, cachedStage, type Stores } from './context';
import type { AttributionResult, CellRecord, EvalResult, TrainResult } from './types';

// 2: report.json's cells carry "swapped" (was "corrupted").
const STAGE_VERSION = 2;

export interface ReportInput {
  cellId: string;
  attribution: AttributionResult;
}

/**
 * report.json, tables (md, csv, tex), report.html and the attention figure, from the cell records and
 * attribution results in the store; written as one stage so a rerun with the same inputs is cached.
 */
export function writeReport(stores: Stores) {
  return async (
    config: ExperimentConfig,
    attributions: ReportInput[],
  ): Promise<{ prefix: string; cached: boolean; files: string[]; costEstimate?: CostEstimate }> => {
    const store = await stores.get(config.storage.bucket);
    const records = new Map<string, CellRecord>();
    const digest = configDigest(config);
    for (const a of attributions) {
      const record = await readCellRecord(store, cellKey(config.experiment, a.cellId));
      // Never mix: every cell of a report comes from this configuration (activities/cells.ts).
      if (record.configDigest !== undefined && record.configDigest !== digest)
        throw badInput(
          `report of ${config.experiment}: cell ${a.cellId} was trained with other settings (config digest ` +
            `${record.configDigest}, this experiment's is ${digest})`,
        );
      records.set(a.cellId, await withVerifiedResults(store, record));
    }
    const upstream = attributions.flatMap((a) => [records.get(a.cellId)!.evaluation.digest, a.attribution.digest]);
    const stage = await cachedStage(
      store,
      config.experiment,
      'report',
      STAGE_VERSION,
      { cells: attributions.map((a) => a.cellId) },
      upstream,
      async (writer) => {
        const cells: ReportCell[] = attributions.map((a) => {
          const r = records.get(a.cellId)!;
          return {
            dataset: r.cell.dataset,
            loss: r.cell.loss,
            mode: r.cell.mode,
            seed: r.cell.seed,
            bestEpoch: r.train.bestEpoch,
            epochsTrained: r.train.epochsTrained,
            clean: r.evaluation.clean,
            swapped: r.evaluation.swapped,
            attention: a.attribution.attention,
          };
        });
        const all = [...records.values()];
        const maskQuality = uniqueBy(
          all.flatMap((r) => r.dataset.maskQuality ?? []),
          (m) => `${m.dataset}/${m.source}`,
        ).map((m) => ({
          dataset: m.source === 'published' ? m.dataset : `${m.dataset} (${m.source})`,
          n: m.n,
          iou: m.iou,
          overlap: m.overlap,
        }));
        const backend = all.find((r) => r.train.backend)?.train.backend;
        const costEstimate = rehearsalCostEstimate(
          config,
          all,
          attributions.map((a) => a.attribution),
        );
        const report: Report = {
          experiment: config.experiment,
          preset: config.preset,
          createdAt: new Date().toISOString(),
          backend: backend
            ? { name: backend.name, device: backend.device, threads: backend.threads, version: backend.version }
            : { name: 'unknown', device: '', threads: 0, version: '' },
          timings: {
            trainSeconds: sum(all.map((r) => r.train.trainSeconds)),
          },
          cells,
          ...(maskQuality.length ? { maskQuality } : {}),
          ...(costEstimate ? { costEstimate } : {}),
          // The effect compares the two modes; a grid with one mode has none.
          ...(new Set(cells.map((c) => c.mode)).size === 2 ? { effect: computeEffect(cells) } : {}),
        };
        const figure = await attentionFigure(store, config, attributions);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-report-'));
        try {
          const names = await writeReportFiles(dir, report, { attentionFigurePng: figure });
          for (const name of names) await writer.putFile(name, path.join(dir, name));
          return { metrics: { files: names, effect: report.effect, ...(costEstimate ? { costEstimate } : {}) } };
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    );
    const costEstimate = stage.manifest.metrics.costEstimate as CostEstimate | undefined;
    return {
      prefix: stage.prefix,
      cached: stage.cached,
      files: stage.manifest.metrics.files as string[],
      ...(costEstimate ? { costEstimate } : {}),
    };
  };
}

/**
 * The record with its training and test results read from their stages' verified manifests (content
 * hash checked), not from the record's copies: the report shows only numbers that verify.
 */
async function withVerifiedResults(store: Awaited<ReturnType<Stores['get']>>, record: CellRecord): Promise<CellRecord> {
  const manifestOf = async (prefix: string) => {
    const m = await readManifest(store, prefix);
    if (!m)
      throw new IntegrityError(`s3://${store.bucket}/${prefix}/_manifest.json`, 'presence', 'the manifest', 'none');
    return m.metrics;
  };
  const train = (await manifestOf(record.train.prefix)) as Partial<TrainResult>;
  const evaluation = (await manifestOf(record.evaluation.prefix)) as Partial<EvalResult>;
  return {
    ...record,
    train: {
      ...record.train,
      bestEpoch: train.bestEpoch!,
      epochsTrained: train.epochsTrained!,
      trainSeconds: train.trainSeconds!,
      backend: train.backend,
    },
    evaluation: { ...record.evaluation, clean: evaluation.clean!, swapped: evaluation.swapped! },
  };
}

/** The paper's qualitative figure: the same test images under the base and the BGAugment model. */
async function attentionFigure(
  store: Awaited<ReturnType<Stores['get']>>,
  config: ExperimentConfig,
  attributions: ReportInput[],
): Promise<Buffer | undefined> {
  const { figureDataset, figureLoss, figureImages } = config.attribution;
  if (figureImages === 0) return undefined;
  const find = (mode: string) =>
    attributions.find((a) => a.cellId.startsWith(`${figureDataset}/${figureLoss}/${mode}/`));
  const base = find('base');
  const aug = find('bgaugment');
  if (!base || !aug) return undefined;
  const [b, g] = await Promise.all([
    readVerifiedStageFile(store, base.attribution.mapsKey),
    readVerifiedStageFile(store, aug.attribution.mapsKey),
  ]);
  const bm = decodeTensorFile(b, base.attribution.mapsKey).tensors;
  const gm = decodeTensorFile(g, aug.attribution.mapsKey).tensors;
  const rows: AttentionFigureRow[] = [];
  for (let i = 0; bm.has(`map/${i}`) && gm.has(`map/${i}`) && i < figureImages; i++) {
    const img = bm.get(`image/${i}`)!;
    const size = img.shape[0];
    rows.push({
      image: { width: size, height: size, data: Uint8Array.from(img.data) },
      baseMap: bm.get(`map/${i}`)!.data,
      bgaugmentMap: gm.get(`map/${i}`)!.data,
      size,
    });
  }
  return rows.length ? renderAttentionFigure(rows) : undefined;
}

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const it of items) if (!seen.has(key(it))) seen.set(key(it), it);
  return [...seen.values()];
}
