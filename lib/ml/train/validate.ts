import type { SplitData } from '../../data/splitData';
import type { RgbImage } from '../../image/types';
import { retrievalMetricsAsync } from '../metrics/retrieval';
import type { EmbeddingModel } from '../models/types';
import type { TransformConfig } from '../transforms/pipeline';
import { embedSplit } from './embedSplit';

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
  split: SplitData,
  cfg: TransformConfig,
  swapped?: { backgrounds: readonly RgbImage[]; seed: string },
  onBatch?: BatchProgress,
): Promise<Scores> {
  const e = await embedSplit(model, split, cfg, { swapped, onBatch });
  const m = await retrievalMetricsAsync(e.embeddings, e.dim, e.labels);
  return { mapAtR: m.mapAtR, precisionAt1: m.precisionAt1, rPrecision: m.rPrecision };
}

/** Clean and swapped-background val scores; the swapped backgrounds are the same draws every epoch. */
export async function validate(
  model: EmbeddingModel,
  val: SplitData,
  cfg: TransformConfig,
  backgrounds: readonly RgbImage[],
  seed: string,
  onBatch?: BatchProgress,
): Promise<ValidationScores> {
  return {
    clean: await scoreSplit(model, val, cfg, undefined, onBatch),
    swapped: await scoreSplit(model, val, cfg, { backgrounds, seed }, onBatch),
  };
}
