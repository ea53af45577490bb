import * as tf from '@tensorflow/tfjs';
import type { DecodedItem } from '../../data/decodeShards';
import type { RgbImage } from '../../data/images';
import { Rng } from '../../util/rng';
import type { EmbeddingModel } from '../models/types';
import type { TransformConfig } from '../transforms/pipeline';
import { batchTensor, evalBatch } from './batches';

export interface SplitEmbeddings {
  embeddings: Float32Array;
  labels: Int32Array;
  dim: number;
}

/**
 * Embeds a whole split with the val transform, optionally with swapped backgrounds drawn from a
 * stream seeded by `corrupted.seed` (so a repetition is reproducible: PROTOCOL.md 5 [fix]).
 */
export async function embedSplit(
  model: EmbeddingModel,
  items: readonly DecodedItem[],
  cfg: TransformConfig,
  opts: { batchSize?: number; corrupted?: { backgrounds: readonly RgbImage[]; seed: string }; onBatch?: (done: number, total: number) => void } = {},
): Promise<SplitEmbeddings> {
  const batchSize = opts.batchSize ?? 64;
  const dim = model.embeddingSize;
  const embeddings = new Float32Array(items.length * dim);
  const labels = new Int32Array(items.length);
  const corrupted = opts.corrupted ? { backgrounds: opts.corrupted.backgrounds, rng: Rng.fromSeed(opts.corrupted.seed) } : undefined;
  for (let start = 0; start < items.length; start += batchSize) {
    const end = Math.min(items.length, start + batchSize);
    const batch = evalBatch(items, start, end, cfg, corrupted);
    const out = tf.tidy(() => model.embed(batchTensor(batch)));
    embeddings.set(await out.data(), start * dim);
    out.dispose();
    labels.set(batch.labels, start);
    opts.onBatch?.(end, items.length);
  }
  return { embeddings, labels, dim };
}
