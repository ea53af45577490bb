import * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../../data/splitData';
import type { RgbImage } from '../../image/types';
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
 * stream seeded by `swapped.seed` (so a repetition is reproducible: docs/protocol.md section 5 [fix]).
 */
export async function embedSplit(
  model: EmbeddingModel,
  split: SplitData,
  cfg: TransformConfig,
  opts: {
    batchSize?: number;
    swapped?: { backgrounds: readonly RgbImage[]; seed: string };
    onBatch?: (done: number, total: number) => void;
  } = {},
): Promise<SplitEmbeddings> {
  const batchSize = opts.batchSize ?? 64;
  const dim = model.embeddingSize;
  const embeddings = new Float32Array(split.length * dim);
  const labels = new Int32Array(split.length);
  const swapped = opts.swapped
    ? { backgrounds: opts.swapped.backgrounds, rng: Rng.fromSeed(opts.swapped.seed) }
    : undefined;
  for (let start = 0; start < split.length; start += batchSize) {
    const end = Math.min(split.length, start + batchSize);
    const items = await split.getMany(Array.from({ length: end - start }, (_, i) => start + i));
    const batch = evalBatch(items, cfg, swapped);
    const out = tf.tidy(() => model.embed(batchTensor(batch)));
    embeddings.set(await out.data(), start * dim);
    out.dispose();
    labels.set(batch.labels, start);
    opts.onBatch?.(end, split.length);
  }
  return { embeddings, labels, dim };
}
