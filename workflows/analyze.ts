import { ApplicationFailure, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AttributionResult, CellRecord } from '../activities/types';
import { cpu, gpu } from './activityProxies';
import { analysisProgressSignal, progressQuery, type Progress, type StageState } from './progress';
import { markStage } from './searchAttributes';

export interface AnalyzeInput {
  experiment: string;
  /** Recompute attribution even where a result exists (the `bgbias analyze` default). */
  force?: boolean;
  /** Bucket holding the experiment (default bgbias). */
  bucket?: string;
  /** Parent run to notify per finished model, if any. */
  progressWorkflowId?: string;
}

export interface AnalyzeResult {
  experiment: string;
  attributions: Array<{ cellId: string; result: AttributionResult }>;
  reportPrefix: string;
  reportCached: boolean;
}

/**
 * attribution + attention scores per trained model -> figure -> report. Finds the trained models
 * through the store (cell records), so it can run alone long after training; it never trains.
 */
export async function analyze(input: AnalyzeInput): Promise<AnalyzeResult> {
  const progress: Progress = {
    experiment: input.experiment,
    stage: 'analyze',
    stages: { analyze: 'running', report: 'pending' },
    datasets: {},
    cells: [],
    analysis: { state: 'running', done: 0, total: 0, cached: 0 },
  };
  setHandler(progressQuery, () => progress);
  markStage('analyze');

  const { config, cells } = await cpu.listTrainedCells(input.experiment, input.bucket ?? 'bgbias');
  if (cells.length === 0) {
    throw ApplicationFailure.nonRetryable(
      `experiment ${input.experiment}: no trained models in the store (nothing to analyze)`,
      'BadInputError',
    );
  }
  progress.preset = config.preset;
  progress.analysis.total = cells.length;
  progress.cells = cells.map((r: CellRecord) => ({
    id: r.cellId,
    dataset: r.cell.dataset,
    loss: r.cell.loss,
    mode: r.cell.mode,
    seed: r.cell.seed,
    state: 'pending' as StageState,
    test: { clean: r.evaluation.clean, swappedMapAtR: r.evaluation.swapped.mapAtR.mean },
  }));
  const parent = input.progressWorkflowId ? getExternalWorkflowHandle(input.progressWorkflowId) : undefined;
  const g = gpu(config.training.heartbeatSeconds);
  // A forced analysis writes new results beside the old ones (nothing stored is lost).
  const recomputeToken = input.force ? workflowInfo().runId : undefined;
  const attributions: AnalyzeResult['attributions'] = [];
  // One model at a time: attribution is GPU work and the GPU worker takes one activity at a time anyway.
  for (const [i, record] of cells.entries()) {
    progress.cells[i].state = 'running';
    const result = await g.attributeCell({ config, record, recomputeToken });
    progress.cells[i].state = result.cached ? 'cached' : 'done';
    progress.cells[i].attention = result.attention.mean;
    progress.analysis.done++;
    if (result.cached) progress.analysis.cached++;
    attributions.push({ cellId: record.cellId, result });
    await parent?.signal(analysisProgressSignal, {
      cellId: record.cellId,
      state: progress.cells[i].state,
      attention: result.attention.mean,
    });
  }
  progress.stages.analyze = 'done';
  progress.analysis.state = 'done';
  progress.stages.report = 'running';
  progress.stage = 'report';
  markStage('report');
  const report = await cpu.writeReport(
    config,
    attributions.map((a) => ({ cellId: a.cellId, attribution: a.result })),
  );
  progress.stages.report = report.cached ? 'cached' : 'done';
  progress.stage = 'done';
  progress.reportPrefix = report.prefix;
  return { experiment: input.experiment, attributions, reportPrefix: report.prefix, reportCached: report.cached };
}
