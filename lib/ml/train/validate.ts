import type { BatchSource } from '../input/batchSource';
import { retrievalMetricsAsync } from '../metrics/retrieval';
import type { EmbeddingModel } from '../models/types';
import { embedSplit, type SwapDraws, type Swapped } from './embedSplit';

export interface Scores {
  mapAtR: number;
  precisionAt1: number;
  rPrecision: number;
}

export interface ValidationScores {
  clean: Scores;
  swapped: Scores;
}

/** Retrieval scores of a split's embeddings (query = reference = the split, self excluded). */
/** Called after every embedded batch: long splits must keep heartbeats going. */
export type BatchProgress = (done: number, total: number) => void;

export async function scoreSplit(
  model: EmbeddingModel,
  input: BatchSource,
  source: string,
  swapped?: Swapped,
  onBatch?: BatchProgress,
): Promise<Scores> {
  const e = await embedSplit(model, input, source, { swapped, onBatch });
  const m = await retrievalMetricsAsync(e.embeddings, e.dim, e.labels);
  return { mapAtR: m.mapAtR, precisionAt1: m.precisionAt1, rPrecision: m.rPrecision };
}

/**
 * How the swapped val backgrounds are drawn across epochs (evaluation.valBackgrounds):
 *   'per-epoch'  fresh draws at every validation, keyed by the epoch (the reference's behaviour:
 *                it composites anew each time it validates);
 *   'fixed'      the same draws at every validation (epoch 0's): a lower-variance selection metric.
 */
export type ValBackgroundDraws = 'per-epoch' | 'fixed';

/** The swapped val backgrounds' draws for the validation after `epoch` (0: before training). */
export function valSwapDraws(seed: number | string, epoch: number, draws: ValBackgroundDraws): SwapDraws {
  return { seed, split: 'val', epoch: draws === 'fixed' ? 0 : epoch };
}

/** Clean and swapped-background val scores; `draws` names the swapped backgrounds (valSwapDraws). */
export async function validate(
  model: EmbeddingModel,
  input: BatchSource,
  draws: SwapDraws,
  onBatch?: BatchProgress,
): Promise<ValidationScores> {
  return {
    clean: await scoreSplit(model, input, 'val', undefined, onBatch),
    swapped: await scoreSplit(model, input, 'val', { background: 'val', draws }, onBatch),
  };
}
