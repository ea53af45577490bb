import type { ExperimentConfig } from '../configs/schema';
import type { GridCell } from '../contracts/grid';
import type { BackgroundsRef, CellRecord, DatasetRef } from '../activities/types';
import { cpu, gpu } from './activityProxies';
import { cellId } from '../contracts/ids';

export interface TrainAndEvaluateInput {
  config: ExperimentConfig;
  cell: GridCell;
  dataset: DatasetRef;
  backgrounds: BackgroundsRef;
  /** Workflow that receives per-epoch `cellProgress` signals (the parent run), if any. */
  progressWorkflowId?: string;
}

/** One grid cell: train (checkpointed, resumable) -> test clean + N swapped-background repetitions. */
export async function trainAndEvaluate(input: TrainAndEvaluateInput): Promise<CellRecord> {
  const { config, cell, dataset, backgrounds } = input;
  const g = gpu(config.training.heartbeatSeconds);
  const train = await g.trainCell({ config, cell, dataset, backgrounds, progressWorkflowId: input.progressWorkflowId });
  const evaluation = await g.evaluateCell({ config, cell, dataset, backgrounds, train });
  const record: CellRecord = { cell, cellId: cellId(cell), dataset, backgrounds, train, evaluation };
  await cpu.recordCell(config, record);
  return record;
}
