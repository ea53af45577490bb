/**
 * The `progress` query's object and every change to it, so the workflows read as their method and
 * this file as what the CLI, `bgbias status` and the UI see. reproducePaper tracks the whole study
 * (and hears the per-epoch and per-model signals of its children); analyze tracks its own run.
 */
import { setHandler } from '@temporalio/workflow';
import type { AttributionResult, BackgroundsRef, CellRecord, CostEstimate, DatasetRef } from '../activities/types';
import type { ExperimentConfig } from '../configs/schema';
import type { GridCell } from '../contracts/grid';
import { cellId } from '../contracts/ids';
import {
  analysisPlannedSignal,
  analysisProgressSignal,
  cellProgressSignal,
  progressQuery,
  type CellProgress,
  type Progress,
  type StageState,
} from './progress';
import { markStage } from './searchAttributes';

type Stage = 'prepare' | 'train' | 'analyze' | 'report';

const finishedState = (cached: boolean): StageState => (cached ? 'cached' : 'done');

export class ProgressTracker {
  private readonly cells = new Map<string, CellProgress>();

  private constructor(readonly progress: Progress) {
    setHandler(progressQuery, () => this.progress);
  }

  /** The whole study: config -> prepare -> train -> analyze -> report; children signal into it. */
  static forStudy(): ProgressTracker {
    const t = new ProgressTracker({
      experiment: '?',
      stage: 'config',
      stages: { config: 'running', prepare: 'pending', train: 'pending', analyze: 'pending', report: 'pending' },
      datasets: {},
      cells: [],
      analysis: { state: 'pending', done: 0, total: 0, cached: 0 },
    });
    setHandler(cellProgressSignal, (s) => {
      const c = t.cells.get(s.cellId);
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
    // The child counts what it attributes (the models in the store), which need not be this grid.
    setHandler(analysisPlannedSignal, (s) => {
      t.progress.analysis.total = s.total;
    });
    setHandler(analysisProgressSignal, (s) => {
      const c = t.cells.get(s.cellId);
      if (c && s.attention !== undefined) c.attention = s.attention;
      t.progress.analysis.done++;
      if (s.state === 'cached') t.progress.analysis.cached++;
    });
    return t;
  }

  /** An analysis of a finished experiment: attribution per model -> report. */
  static forAnalysis(experiment: string): ProgressTracker {
    const t = new ProgressTracker({
      experiment,
      stage: 'analyze',
      stages: { analyze: 'running', report: 'pending' },
      datasets: {},
      cells: [],
      analysis: { state: 'running', done: 0, total: 0, cached: 0 },
    });
    markStage('analyze');
    return t;
  }

  configured(config: ExperimentConfig): void {
    this.progress.experiment = config.experiment;
    this.progress.preset = config.preset;
  }

  /** The configuration is valid and saved. */
  configSaved(): void {
    this.progress.stages.config = 'done';
  }

  /** The run moves on to `stage` (also the UI's BgbiasStage attribute). */
  enter(stage: Stage): void {
    this.progress.stage = stage;
    this.progress.stages[stage] = 'running';
    markStage(stage);
  }

  finish(stage: Stage, cached = false): void {
    this.progress.stages[stage] = finishedState(cached);
  }

  preparing(datasets: readonly string[]): void {
    for (const d of datasets) this.progress.datasets[d] = 'running';
    this.progress.backgrounds = 'running';
  }

  datasetPrepared(dataset: string, ref: DatasetRef): void {
    this.progress.datasets[dataset] = finishedState(ref.cached);
  }

  backgroundsPrepared(ref: BackgroundsRef): void {
    this.progress.backgrounds = finishedState(ref.cached);
  }

  /** Every cell of the grid, pending, in grid order. */
  gridPlanned(grid: readonly GridCell[]): void {
    for (const cell of grid) this.addCell({ id: cellId(cell), ...cell, state: 'pending' });
  }

  cellStarted(id: string): void {
    this.cell(id).state = 'running';
  }

  /** Cached only when both training and test came from the store. */
  cellTrained(record: CellRecord): void {
    const c = this.cell(record.cellId);
    c.state = finishedState(record.train.cached && record.evaluation.cached);
    c.epoch = record.train.epochsTrained;
    c.test = testScores(record);
  }

  cellFailed(id: string, err: unknown): void {
    const c = this.cell(id);
    c.state = 'failed';
    c.error = rootMessage(err);
  }

  /**
   * reproducePaper hands the analysis to its child; until the child says how many models it
   * attributes (analysisPlanned), the total is the grid's trained cells.
   */
  analysisStarted(total: number): void {
    this.progress.analysis = { state: 'running', done: 0, total, cached: 0 };
  }

  /** analyze's own run: the models it found in the store, pending. */
  modelsFound(preset: string, records: readonly CellRecord[]): void {
    this.progress.preset = preset;
    this.progress.analysis.total = records.length;
    for (const r of records) this.addCell({ id: r.cellId, ...r.cell, state: 'pending', test: testScores(r) });
  }

  modelAttributed(id: string, result: AttributionResult): StageState {
    const c = this.cell(id);
    c.state = finishedState(result.cached);
    c.attention = result.attention.mean;
    this.progress.analysis.done++;
    if (result.cached) this.progress.analysis.cached++;
    return c.state;
  }

  attributionFinished(): void {
    this.progress.stages.analyze = 'done';
    this.progress.analysis.state = 'done';
  }

  /** The report exists: the run is done. */
  reported(report: { prefix: string; cached: boolean; costEstimate?: CostEstimate }): void {
    this.progress.stages.report = finishedState(report.cached);
    this.progress.reportPrefix = report.prefix;
    if (report.costEstimate) this.progress.costEstimate = report.costEstimate;
    this.progress.stage = 'done';
  }

  /** The whole study is done (its report came from the analyze child). */
  studyDone(report: { prefix: string; cached: boolean; costEstimate?: CostEstimate }): void {
    this.progress.analysis.state = 'done';
    this.progress.stages.analyze = 'done';
    this.reported(report);
    markStage('done');
  }

  /** The run failed: the failed activity's own message and every running stage. */
  failed(err: unknown): void {
    const p = this.progress;
    p.stage = 'failed';
    p.error = rootMessage(err);
    for (const [k, v] of Object.entries(p.stages)) if (v === 'running') p.stages[k] = 'failed';
  }

  private addCell(c: CellProgress): void {
    this.progress.cells.push(c);
    this.cells.set(c.id, c);
  }

  private cell(id: string): CellProgress {
    const c = this.cells.get(id);
    if (!c) throw new Error(`progress: no cell ${id}`);
    return c;
  }
}

/**
 * The message at the end of the cause chain: what the failed activity said. A failed cell arrives as
 * ChildWorkflowFailure -> ActivityFailure -> ApplicationFailure, and only the last one says what
 * went wrong (the first two say "Child Workflow execution failed", "Activity task failed").
 */
function rootMessage(err: unknown): string {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

function testScores(r: CellRecord): CellProgress['test'] {
  return { clean: r.evaluation.clean, swappedMapAtR: r.evaluation.swapped.mapAtR.mean };
}
