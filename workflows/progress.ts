import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CostEstimate, RetrievalScores } from '../activities/types';
import {
  ANALYSIS_PLANNED_SIGNAL,
  ANALYSIS_PROGRESS_SIGNAL,
  CELL_PROGRESS_SIGNAL,
  PROGRESS_QUERY,
  type AnalysisPlannedSignal,
  type AnalysisProgressSignal,
  type CellProgressSignal,
  type StageState,
} from '../contracts/progress';

export type { StageState };

export interface CellProgress {
  id: string;
  dataset: string;
  loss: string;
  mode: string;
  seed: number;
  state: StageState;
  epoch?: number;
  maxEpochs?: number;
  trainLoss?: number;
  valClean?: number;
  valSwapped?: number;
  resumedFromEpoch?: number;
  test?: { clean: RetrievalScores; swappedMapAtR: number };
  attention?: number;
  error?: string;
}

export interface Progress {
  experiment: string;
  preset?: string;
  stage: 'config' | 'prepare' | 'train' | 'analyze' | 'report' | 'done' | 'failed';
  stages: Record<string, StageState>;
  datasets: Record<string, StageState>;
  backgrounds?: StageState;
  cells: CellProgress[];
  analysis: { state: StageState; done: number; total: number; cached: number };
  reportPrefix?: string;
  /** A rehearsal's estimate of its full run, once the report is written. */
  costEstimate?: CostEstimate;
  error?: string;
}

export const progressQuery = defineQuery<Progress>(PROGRESS_QUERY);
export const cellProgressSignal = defineSignal<[CellProgressSignal]>(CELL_PROGRESS_SIGNAL);
export const analysisProgressSignal = defineSignal<[AnalysisProgressSignal]>(ANALYSIS_PROGRESS_SIGNAL);
export const analysisPlannedSignal = defineSignal<[AnalysisPlannedSignal]>(ANALYSIS_PLANNED_SIGNAL);
