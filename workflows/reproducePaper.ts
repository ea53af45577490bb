import { workflowInfo } from '@temporalio/workflow';
import type { ExperimentConfig } from '../configs/schema';
import type { GridCell } from '../contracts/grid';
import { analyzeId, cellId, cellWorkflowId, prepareId } from '../contracts/ids';
import type { BackgroundsRef, CellRecord, CostEstimate, DatasetRef, RetrievalScores } from '../activities/types';
import { cpu } from './activityProxies';
import { analyze, type AnalyzeResult } from './analyze';
import { gridCells } from './gridCells';
import { mapBounded } from './mapBounded';
import { prepareDataset } from './prepareDataset';
import { ProgressTracker } from './progressTracker';
import { runChild } from './runChild';
import { trainAndEvaluate } from './trainAndEvaluate';

/** Small on purpose: the full records live in the store (`<experiment>/cells/*.json`). */
export interface ReproducePaperResult {
  experiment: string;
  cells: Array<{
    cellId: string;
    trainCached: boolean;
    evaluationCached: boolean;
    resumedFromEpoch?: number;
    clean: RetrievalScores;
    swappedMapAtR: number;
  }>;
  reportPrefix: string;
  reportCached: boolean;
  /** A rehearsal's estimate of its full run (`--rehearse`). */
  costEstimate?: CostEstimate;
}

interface PreparedData {
  backgrounds: BackgroundsRef;
  datasets: Map<string, DatasetRef>;
}

/**
 * The whole study as one durable DAG, in the paper's order:
 * config -> prepare (per dataset) + backgrounds -> train grid -> analyze -> report.
 * Input: `{ "preset": "smoke" | "paper", "overrides": { "training.maxEpochs": 5, ... } }`.
 * What it shows while it runs is kept by ./progressTracker.ts (the `progress` query).
 */
export async function reproducePaper(input: unknown): Promise<ReproducePaperResult> {
  const progress = ProgressTracker.forStudy();
  try {
    const config = await configure(input, progress);
    const data = await prepare(config, progress);
    const records = await trainGrid(config, data, progress);
    const analysis = await analyzeAndReport(config, records.length, progress);
    progress.studyDone({
      prefix: analysis.reportPrefix,
      cached: analysis.reportCached,
      costEstimate: analysis.costEstimate,
    });
    return {
      experiment: config.experiment,
      cells: records.map((r) => ({
        cellId: r.cellId,
        trainCached: r.train.cached,
        evaluationCached: r.evaluation.cached,
        resumedFromEpoch: r.train.resumedFromEpoch,
        clean: r.evaluation.clean,
        swappedMapAtR: r.evaluation.swapped.mapAtR.mean,
      })),
      reportPrefix: analysis.reportPrefix,
      reportCached: analysis.reportCached,
      ...(analysis.costEstimate ? { costEstimate: analysis.costEstimate } : {}),
    };
  } catch (err) {
    progress.failed(err);
    throw err;
  }
}

/** 1. Configuration: a bad input fails here, naming every bad field, before any work. */
async function configure(input: unknown, progress: ProgressTracker): Promise<ExperimentConfig> {
  const config = await cpu.resolveConfig(input);
  progress.configured(config);
  // An experiment name holding other settings is refused there, unless the input says `replace`.
  const replace = (input as { replace?: unknown } | null)?.replace === true;
  await cpu.saveExperiment(config, { replace });
  progress.configSaved();
  return config;
}

/** 2. Data: every dataset (a child each) in parallel with the backgrounds. */
async function prepare(config: ExperimentConfig, progress: ProgressTracker): Promise<PreparedData> {
  progress.enter('prepare');
  progress.preparing(config.datasets);
  const [backgrounds, ...datasets] = await Promise.all([
    cpu.prepareBackgrounds(config).then((ref) => {
      progress.backgroundsPrepared(ref);
      return ref;
    }),
    ...config.datasets.map(async (d) => {
      const ref = await runChild(prepareDataset, prepareId(config.experiment, d), 'prepare', [config, d]);
      progress.datasetPrepared(d, ref);
      return ref;
    }),
  ]);
  progress.finish('prepare');
  return { backgrounds, datasets: new Map(config.datasets.map((d, i) => [d, datasets[i]])) };
}

/** 3. The training grid, `concurrency.cells` at a time: train -> test per cell (a child each). */
async function trainGrid(
  config: ExperimentConfig,
  data: PreparedData,
  progress: ProgressTracker,
): Promise<CellRecord[]> {
  progress.enter('train');
  const grid = gridCells(config);
  progress.gridPlanned(grid);
  const records = await mapBounded(grid, config.concurrency.cells, (cell) => trainCell(config, cell, data, progress));
  progress.finish('train');
  return records;
}

async function trainCell(
  config: ExperimentConfig,
  cell: GridCell,
  data: PreparedData,
  progress: ProgressTracker,
): Promise<CellRecord> {
  const id = cellId(cell);
  progress.cellStarted(id);
  try {
    const record = await runChild(trainAndEvaluate, cellWorkflowId(config.experiment, cell), 'train', [
      {
        config,
        cell,
        dataset: data.datasets.get(cell.dataset)!,
        backgrounds: data.backgrounds,
        progressWorkflowId: workflowInfo().workflowId,
      },
    ]);
    progress.cellTrained(record);
    return record;
  } catch (err) {
    progress.cellFailed(id, err);
    throw err;
  }
}

/** 4. Analysis + report: a child, so it can also be started alone for a finished experiment. */
async function analyzeAndReport(
  config: ExperimentConfig,
  models: number,
  progress: ProgressTracker,
): Promise<AnalyzeResult> {
  progress.enter('analyze');
  progress.analysisStarted(models);
  return runChild(analyze, analyzeId(config.experiment), 'analyze', [
    {
      experiment: config.experiment,
      bucket: config.storage.bucket,
      force: false,
      progressWorkflowId: workflowInfo().workflowId,
    },
  ]);
}
