import * as tf from '@tensorflow/tfjs';
import type { SplitData } from '../../data/splitData';
import type { RgbImage } from '../../image/types';
import { transformBatch } from '../input/keyedBatch';
import type { EmbeddingModel } from '../models/types';
import type { TransformConfig } from '../transforms/pipeline';
import { batchTensor } from './batches';

export interface SplitEmbeddings {
  embeddings: Float32Array;
  labels: Int32Array;
  dim: number;
}

/**
 * Which swapped backgrounds a split gets: sample i of the split takes lib/util/sampleStreams.ts's
 * stream (seed, split, epoch, i, 'background') (valSwapStream / testSwapStream), so a draw depends on
 * nothing but its key: not on the batch size, nor on which samples were embedded before it.
 */
export interface SwapDraws {
  seed: number | string;
  /** 'val' or 'test' (the split's name in the key scheme). */
  split: string;
  /** Val: the epoch (0 for the fixed draw and the validation before training). Test: the repetition. */
  epoch: number;
}

/**
 * Embeds a whole split with the val transform, optionally with every image composited onto a
 * swapped background (docs/protocol.md section 5) drawn as `swapped.draws` says.
 */
export async function embedSplit(
  model: EmbeddingModel,
  split: SplitData,
  cfg: TransformConfig,
  opts: {
    batchSize?: number;
    swapped?: { backgrounds: readonly RgbImage[]; draws: SwapDraws };
    onBatch?: (done: number, total: number) => void;
  } = {},
): Promise<SplitEmbeddings> {
  const batchSize = opts.batchSize ?? 64;
  const dim = model.embeddingSize;
  const embeddings = new Float32Array(split.length * dim);
  const labels = new Int32Array(split.length);
  const draws = opts.swapped?.draws ?? { seed: 0, split: 'eval', epoch: 0 };
  for (let start = 0; start < split.length; start += batchSize) {
    const end = Math.min(split.length, start + batchSize);
    const indices = Array.from({ length: end - start }, (_, i) => start + i);
    const items = await split.getMany(indices);
    const batch = transformBatch(
      {
        kind: 'eval',
        source: draws.split,
        indices,
        streams: { ...draws, firstPosition: start },
        background: opts.swapped ? 'swap' : undefined,
      },
      items,
      cfg,
      opts.swapped?.backgrounds,
    );
    const out = tf.tidy(() => model.embed(batchTensor(batch)));
    embeddings.set(await out.data(), start * dim);
    out.dispose();
    labels.set(batch.labels, start);
    opts.onBatch?.(end, split.length);
  }
  return { embeddings, labels, dim };
}
