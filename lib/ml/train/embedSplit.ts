import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../input/batchSource';
import type { BatchSpec } from '../input/keyedBatch';
import type { EmbeddingModel } from '../models/types';
import { batchTensor } from './batches';

export interface SplitEmbeddings {
  embeddings: Float32Array;
  labels: Int32Array;
  dim: number;
}

/**
 * Which swapped backgrounds a split gets: sample i of the split takes lib/util/sampleStreams.ts's
 * stream (seed, split, epoch, i, 'background') (valSwapStream / testSwapStream), so a draw depends on
 * nothing but its key: not on the batch size, nor on which samples were embedded before it, nor on
 * which input thread prepared it.
 */
export interface SwapDraws {
  seed: number | string;
  /** 'val' or 'test' (the split's name in the key scheme). */
  split: string;
  /** Val: the epoch (0 for the fixed draw and the validation before training). Test: the repetition. */
  epoch: number;
}

/** Swapped backgrounds of an embedded split: the background pool's name in the batch source, and the draws. */
export interface Swapped {
  background: string;
  draws: SwapDraws;
}

/** The eval specs of a whole source: consecutive index ranges, each sample's stream position its index. */
export function evalSpecs(source: string, length: number, batchSize: number, swapped?: Swapped): BatchSpec[] {
  const draws = swapped?.draws ?? { seed: 0, split: source, epoch: 0 };
  const specs: BatchSpec[] = [];
  for (let start = 0; start < length; start += batchSize) {
    const end = Math.min(length, start + batchSize);
    specs.push({
      kind: 'eval',
      source,
      indices: Array.from({ length: end - start }, (_, i) => start + i),
      streams: { ...draws, firstPosition: start },
      background: swapped?.background,
    });
  }
  return specs;
}

/**
 * Embeds a whole source of `input` with the val transform, optionally with every image composited
 * onto a swapped background (docs/protocol.md section 5); the input pool prepares the next batches
 * while the model embeds.
 */
export async function embedSplit(
  model: EmbeddingModel,
  input: BatchSource,
  source: string,
  opts: {
    batchSize?: number;
    swapped?: Swapped;
    prefetch?: number;
    onBatch?: (done: number, total: number) => void;
  } = {},
): Promise<SplitEmbeddings> {
  const batchSize = opts.batchSize ?? 64;
  const dim = model.embeddingSize;
  const { length } = input.source(source);
  const embeddings = new Float32Array(length * dim);
  const labels = new Int32Array(length);
  const specs = evalSpecs(source, length, batchSize, opts.swapped);
  let k = 0;
  for await (const batch of input.batches(specs, { prefetch: opts.prefetch })) {
    const start = specs[k++].streams.firstPosition;
    const out = tf.tidy(() => model.embed(batchTensor(batch)));
    embeddings.set(await out.data(), start * dim);
    out.dispose();
    labels.set(batch.labels, start);
    batch.release();
    opts.onBatch?.(start + batch.size, length);
  }
  return { embeddings, labels, dim };
}
