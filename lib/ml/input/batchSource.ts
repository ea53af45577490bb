/**
 * What training, validation, test evaluation and attribution take their batches from: named item
 * sources (splits) and a stream of batches for a sequence of specs (keyedBatch.ts), in spec order.
 *
 * Two implementations compute the same bytes (both run keyedBatch.ts's transformBatch on the same
 * decoded items):
 *   - InputPool (inputPool.ts): worker threads reading local shard files, with bounded prefetch, so
 *     TensorFlow's step overlaps the next batches. What the activities use.
 *   - inlineBatchSource (below): the calling thread, one batch at a time when it is asked for, from
 *     items already in memory (SplitData, or arrays in tests). The reference without a pool, for
 *     tests and the wait-share benchmark.
 */
import type { RgbImage } from '../../image/types';
import type { TransformConfig } from '../transforms/pipeline';
import { transformBatch, type BatchItem, type BatchSpec, type PreparedBatch } from './keyedBatch';

/** Item count, labels and ids of a source (from the shard headers or the items). */
export interface SourceInfo {
  length: number;
  labels: Int32Array;
  ids: readonly string[];
}

/** A prepared batch; `release` (optional to call) gives its buffers back for reuse. */
export interface SourceBatch extends PreparedBatch {
  release(): void;
}

export interface BatchSource {
  source(name: string): SourceInfo;
  /** The batches of `specs` in order; at most `prefetch` prepared ahead of the consumer where supported. */
  batches(specs: Iterable<BatchSpec>, opts?: { prefetch?: number }): AsyncIterable<SourceBatch>;
}

/** Items of a source in memory: what SplitData offers. */
export interface ItemSource {
  readonly length: number;
  readonly labels: Int32Array;
  id(i: number): string;
  getMany(indices: readonly number[]): Promise<BatchItem[]>;
}

/** A BatchSource on the calling thread (no prefetch: each batch is prepared when the consumer asks). */
export function inlineBatchSource(o: {
  transform: TransformConfig;
  sources: Record<string, ItemSource>;
  backgrounds?: Record<string, readonly RgbImage[]>;
}): BatchSource {
  const find = (name: string): ItemSource => {
    const s = o.sources[name];
    if (!s) throw new Error(`batch source: unknown source ${name} (have ${Object.keys(o.sources).join(', ')})`);
    return s;
  };
  return {
    source: (name) => {
      const s = find(name);
      return { length: s.length, labels: s.labels, ids: Array.from({ length: s.length }, (_, i) => s.id(i)) };
    },
    async *batches(specs) {
      for (const spec of specs) {
        const pool = spec.background === undefined ? undefined : o.backgrounds?.[spec.background];
        if (spec.background !== undefined && !pool)
          throw new Error(`batch source: unknown background pool ${spec.background}`);
        const items = await find(spec.source).getMany(spec.indices);
        yield { ...transformBatch(spec, items, o.transform, pool), release: () => undefined };
      }
    },
  };
}
