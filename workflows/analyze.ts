import { ApplicationFailure, getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { attributeModel } from './attributeModel';
import { runChild } from './runChild';
import type { AttributionResult, CostEstimate } from '../activities/types';
import { cpu } from './activityProxies';
import { analysisPlannedSignal, analysisProgressSignal } from './progress';
import { ProgressTracker } from './progressTracker';

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
  /** A rehearsal's estimate of its full run. */
  costEstimate?: CostEstimate;
  /** Cell records under the experiment's cells/ of other settings: never in this report. */
  skipped?: string[];
}

/**
 * attribution + attention scores per trained model -> figure -> report. Finds the trained models
 * through the store (cell records), so it can run alone long after training; it never trains.
 */
export async function analyze(input: AnalyzeInput): Promise<AnalyzeResult> {
  const progress = ProgressTracker.forAnalysis(input.experiment);
  const { config, cells, skipped } = await cpu.listTrainedCells(input.experiment, input.bucket ?? 'bgbias');
  if (cells.length === 0) {
    throw ApplicationFailure.nonRetryable(
      `experiment ${input.experiment}: no trained models in the store (nothing to analyze)`,
      'BadInputError',
    );
  }
  progress.modelsFound(config.preset, cells);
  const parent = input.progressWorkflowId ? getExternalWorkflowHandle(input.progressWorkflowId) : undefined;
  await parent?.signal(analysisPlannedSignal, { total: cells.length });
  // A forced analysis writes new results beside the old ones (nothing stored is lost).
  const recomputeToken = input.force ? workflowInfo().runId : undefined;
  const attributions: AnalyzeResult['attributions'] = [];
  // One model at a time, its chunks spread over the GPU workers (a child workflow per model).
  for (const record of cells) {
    progress.cellStarted(record.cellId);
    const result = await runChild(
      attributeModel,
      `${workflowInfo().workflowId}/attribution/${record.cellId}`,
      'analyze',
      [{ config, record, recomputeToken }],
    );
    const state = progress.modelAttributed(record.cellId, result);
    attributions.push({ cellId: record.cellId, result });
    await parent?.signal(analysisProgressSignal, { cellId: record.cellId, state, attention: result.attention.mean });
  }
  progress.attributionFinished();
  progress.enter('report');
  const report = await cpu.writeReport(
    config,
    attributions.map((a) => ({ cellId: a.cellId, attribution: a.result })),
  );
  progress.reported(report);
  return {
    experiment: input.experiment,
    attributions,
    reportPrefix: report.prefix,
    reportCached: report.cached,
    ...(report.costEstimate ? { costEstimate: report.costEstimate } : {}),
    ...(skipped?.length ? { skipped } : {}),
  };
}
