import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CellProgressSignal, RetrievalScores } from '../activities/types';

export type StageState = 'pending' | 'running' | 'done' | 'cached' | 'failed';

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
  valCorrupted?: number;
  resumedFromEpoch?: number;
  test?: { clean: RetrievalScores; corruptedMapAtR: number };
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
  error?: string;
}

export interface AnalysisProgressSignal {
  cellId: string;
  state: StageState;
  attention?: number;
}

export const progressQuery = defineQuery<Progress>('progress');
export const cellProgressSignal = defineSignal<[CellProgressSignal]>('cellProgress');
export const analysisProgressSignal = defineSignal<[AnalysisProgressSignal]>('analysisProgress');
