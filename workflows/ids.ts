import type { GridCell } from '../contracts/grid';

/** Business-meaningful, deterministic workflow ids (TEMPORAL.md "Ids"). */
export const reproduceId = (experiment: string) => `bgbias/${experiment}`;
export const prepareId = (experiment: string, dataset: string) => `bgbias/${experiment}/prepare/${dataset}`;
export const cellId = (c: GridCell) => `${c.dataset}/${c.loss}/${c.mode}/s${c.seed}`;
export const cellWorkflowId = (experiment: string, c: GridCell) => `bgbias/${experiment}/cell/${cellId(c)}`;
export const analyzeId = (experiment: string) => `bgbias/${experiment}/analyze`;

export const TASK_QUEUES = { cpu: 'bgbias-cpu', gpu: 'bgbias-gpu' } as const;
