import {
  ApplicationFailure,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { ExperimentConfig } from '../configs/schema';
import type { GridCell } from '../contracts/grid';
import type { BackgroundsRef, CellRecord, DatasetRef, RetrievalScores } from '../activities/types';
import { cpu } from './activityProxies';
import { analyze } from './analyze';
import { analyzeId, cellId, cellWorkflowId, prepareId } from '../contracts/ids';
import { prepareDataset } from './prepareDataset';
import {
  analysisProgressSignal,
  cellProgressSignal,
  progressQuery,
  type CellProgress,
  type Progress,
} from './progress';
import { inheritedSearchAttributes, markStage } from './searchAttributes';
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
}

/**
 * The whole study as one durable DAG:
 * config -> prepare (per dataset) + backgrounds -> train grid -> analyze -> report.
 * Input: `{ "preset": "smoke" | "paper", "overrides": { "training.maxEpochs": 5, ... } }`.
 */
export async function reproducePaper(input: unknown): Promise<ReproducePaperResult> {
  const progress: Progress = {
    experiment: '?',
    stage: 'config',
    stages: { config: 'running', prepare: 'pending', train: 'pending', analyze: 'pending', report: 'pending' },
    datasets: {},
    cells: [],
    analysis: { state: 'pending', done: 0, total: 0, cached: 0 },
  };
  setHandler(progressQuery, () => progress);
  const cellsById = new Map<string, CellProgress>();
  setHandler(cellProgressSignal, (s) => {
    const c = cellsById.get(s.cellId);
    if (!c || c.state === 'done' || c.state === 'cached') return;
    Object.assign(c, {
      state: 'running',
      epoch: s.epoch,
      maxEpochs: s.maxEpochs,
      trainLoss: s.trainLoss,
      valClean: s.valClean,
      valSwapped: s.valSwapped,
    });
    if (s.resumedFromEpoch !== undefined) c.resumedFromEpoch = s.resumedFromEpoch;
  });
  setHandler(analysisProgressSignal, (s) => {
    const c = cellsById.get(s.cellId);
    if (c && s.attention !== undefined) c.attention = s.attention;
    progress.analysis.done++;
    if (s.state === 'cached') progress.analysis.cached++;
  });

  try {
    // 1. Configuration: a bad input fails here, naming every bad field, before any work.
    const config = await cpu.resolveConfig(input);
    progress.experiment = config.experiment;
    progress.preset = config.preset;
    await cpu.saveExperiment(config);
    progress.stages.config = 'done';

    // 2. Data: every dataset in parallel with the backgrounds.
    progress.stage = 'prepare';
    progress.stages.prepare = 'running';
    markStage('prepare');
    for (const d of config.datasets) progress.datasets[d] = 'running';
    progress.backgrounds = 'running';
    const [backgrounds, ...datasets] = await Promise.all([
      cpu.prepareBackgrounds(config).then((ref) => {
        progress.backgrounds = ref.cached ? 'cached' : 'done';
        return ref;
      }),
      ...config.datasets.map(async (d) => {
        const ref = await runChild(prepareDataset, prepareId(config.experiment, d), 'prepare', [config, d]);
        progress.datasets[d] = ref.cached ? 'cached' : 'done';
        return ref;
      }),
    ]);
    progress.stages.prepare = 'done';

    // 3. The training grid, `concurrency.cells` at a time.
    progress.stage = 'train';
    progress.stages.train = 'running';
    markStage('train');
    const grid = gridCells(config);
    for (const cell of grid) {
      const c: CellProgress = {
        id: cellId(cell),
        dataset: cell.dataset,
        loss: cell.loss,
        mode: cell.mode,
        seed: cell.seed,
        state: 'pending',
      };
      progress.cells.push(c);
      cellsById.set(c.id, c);
    }
    const records = await mapBounded(grid, config.concurrency.cells, (cell) =>
      runCell(config, cell, datasets[config.datasets.indexOf(cell.dataset)], backgrounds, cellsById.get(cellId(cell))!),
    );
    progress.stages.train = 'done';

    // 4. Analysis + report (a child, so it can also be started alone for a finished experiment).
    progress.stage = 'analyze';
    progress.stages.analyze = 'running';
    progress.analysis = { state: 'running', done: 0, total: records.length, cached: 0 };
    markStage('analyze');
    const analysis = await runChild(analyze, analyzeId(config.experiment), 'analyze', [
      {
        experiment: config.experiment,
        bucket: config.storage.bucket,
        force: false,
        progressWorkflowId: workflowInfo().workflowId,
      },
    ]);
    progress.analysis.state = 'done';
    progress.stages.analyze = 'done';
    progress.stages.report = analysis.reportCached ? 'cached' : 'done';
    progress.reportPrefix = analysis.reportPrefix;
    progress.stage = 'done';
    markStage('done');
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
    };
  } catch (err) {
    progress.stage = 'failed';
    progress.error =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    for (const [k, v] of Object.entries(progress.stages)) if (v === 'running') progress.stages[k] = 'failed';
    throw err;
  }
}

async function runCell(
  config: ExperimentConfig,
  cell: GridCell,
  dataset: DatasetRef,
  backgrounds: BackgroundsRef,
  c: CellProgress,
): Promise<CellRecord> {
  c.state = 'running';
  try {
    const record = await runChild(trainAndEvaluate, cellWorkflowId(config.experiment, cell), 'train', [
      { config, cell, dataset, backgrounds, progressWorkflowId: workflowInfo().workflowId },
    ]);
    c.state = record.train.cached && record.evaluation.cached ? 'cached' : 'done';
    c.epoch = record.train.epochsTrained;
    c.test = { clean: record.evaluation.clean, swappedMapAtR: record.evaluation.swapped.mapAtR.mean };
    return record;
  } catch (err) {
    c.state = 'failed';
    c.error = err instanceof Error ? err.message : String(err);
    throw err;
  }
}

/** Starts a child with a deterministic id; a failed earlier run of the same id may run again. */
async function runChild<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  workflowId: string,
  stage: string,
  args: A,
): Promise<R> {
  const handle = await startChild(fn, {
    workflowId,
    args,
    parentClosePolicy: ParentClosePolicy.TERMINATE,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: inheritedSearchAttributes(stage),
  });
  return handle.result();
}

export function gridCells(config: ExperimentConfig): GridCell[] {
  const cells: GridCell[] = [];
  for (const dataset of config.datasets)
    for (const loss of config.losses)
      for (const mode of config.modes) for (const seed of config.seeds) cells.push({ dataset, loss, mode, seed });
  if (cells.length > 1500) {
    // 2,000 pending children is Temporal's hard limit; a grid this large needs continue-as-new batches.
    throw ApplicationFailure.nonRetryable(
      `grid of ${cells.length} cells is larger than one run supports (1500)`,
      'InvalidConfigError',
    );
  }
  return cells;
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(lanes);
  return results;
}
