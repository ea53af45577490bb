/**
 * The names and payloads of the messages between runs: the training activity signals each epoch to
 * the parent run, the analyze child signals each analysed model, and the CLI queries the parent's
 * progress. Workflows define their handlers from these names (workflows/progress.ts); activities
 * and the CLI send by name, so no side imports the other's code.
 */

export const PROGRESS_QUERY = 'progress';
export const CELL_PROGRESS_SIGNAL = 'cellProgress';
export const ANALYSIS_PROGRESS_SIGNAL = 'analysisProgress';
/** analyze -> its parent, once it knows how many models it attributes (the progress total). */
export const ANALYSIS_PLANNED_SIGNAL = 'analysisPlanned';

export type StageState = 'pending' | 'running' | 'done' | 'cached' | 'failed';

/** Sent by the training activity after every epoch (best effort). */
export interface CellProgressSignal {
  cellId: string;
  epoch: number;
  maxEpochs: number;
  trainLoss?: number;
  valClean?: number;
  valSwapped?: number;
  resumedFromEpoch?: number;
}

/** Sent by the analyze workflow after every model. */
export interface AnalysisPlannedSignal {
  /** The models the analysis attributes: those found in the store, not the grid of the run. */
  total: number;
}

export interface AnalysisProgressSignal {
  cellId: string;
  state: StageState;
  attention?: number;
}
