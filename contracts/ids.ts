/**
 * Business-meaningful, deterministic workflow ids (TEMPORAL.md "Ids") and the task queues. The
 * workflows start children under these ids, activities name cells by them, the CLI finds runs by
 * them: one definition for all three.
 */
import type { GridCell } from './grid';

export const reproduceId = (experiment: string) => `bgbias/${experiment}`;
export const prepareId = (experiment: string, dataset: string) => `bgbias/${experiment}/prepare/${dataset}`;
/** A grid cell's name inside its experiment, e.g. `cub200/arcface/bgaugment/s42` (also its record's file name). */
export const cellId = (c: GridCell) => `${c.dataset}/${c.loss}/${c.mode}/s${c.seed}`;
export const cellWorkflowId = (experiment: string, c: GridCell) => `bgbias/${experiment}/cell/${cellId(c)}`;
export const analyzeId = (experiment: string) => `bgbias/${experiment}/analyze`;

/** Where a trained cell's record lives in the store (activities/cells.ts writes and verifies it). */
export const cellKey = (experiment: string, cellId: string) => `${experiment}/cells/${cellId}.json`;

/** cpu: every workflow and the short CPU stages; gpu: train, evaluate, attribution (docs/architecture.md). */
export const TASK_QUEUES = { cpu: 'bgbias-cpu', gpu: 'bgbias-gpu' } as const;
