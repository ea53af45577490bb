/**
 * One batch of the input pipeline, described by plain data (a BatchSpec: which items, which transform,
 * which background pool, which stream keys) and computed by `transformBatch`, a pure synchronous
 * function of the spec, the decoded items and the pool. It is the single-threaded reference: the worker
 * pool (inputPool.ts) runs exactly this function in its threads, so a batch is bit for bit the same
 * whichever thread, pool size or process computes it.
 *
 * Draws: sample i of the batch takes its streams from lib/util/sampleStreams.ts with position
 * `spec.streams.firstPosition + i` ('image' for its own crop and flip, 'background' for the pick from
 * the pool and the background's crop and flip).
 *
 * No tfjs import (worker threads load this file): the batch stays host memory until the caller makes
 * a tensor of it.
 */
import type { DecodedItem } from '../../data/decodeShards';
import type { RgbImage } from '../../image/types';
import { sampleStream } from '../../util/sampleStreams';
import { evalTransformInto, trainTransformInto, type SampleTarget, type TransformConfig } from '../transforms/pipeline';

export interface BatchSpec {
  /** 'train': train transform (+ BGAugment with `background`); 'eval': val transform (+ swapped background). */
  kind: 'train' | 'eval';
  /** The item source (a split) the pool was started with. */
  source: string;
  /** Items of the source, in batch order. */
  indices: readonly number[];
  /** Stream key of sample i: (seed, split, epoch, firstPosition + i, purpose). */
  streams: { seed: number | string; split: string; epoch: number; firstPosition: number };
  /** Background pool name: every sample is composited onto a background drawn from it. */
  background?: string;
  /** Also return each sample's transformed mask (attention scores need it). */
  masks?: boolean;
}

/** An item as transformBatch needs it: the mask only where the spec uses it (BGAugment, swaps, masks). */
export type BatchItem = Omit<DecodedItem, 'mask'> & { mask?: DecodedItem['mask'] };

/** Whether a spec's batch reads its items' masks. */
export function specNeedsMasks(spec: BatchSpec): boolean {
  return spec.masks === true || spec.background !== undefined;
}

/** A prepared batch in host memory: HWC BGR floats, labels, and masks when asked for. */
export interface PreparedBatch {
  images: Float32Array;
  labels: Int32Array;
  /** size * crop * crop values in [0, 1] (spec.masks). */
  masks?: Float32Array;
  size: number;
  crop: number;
}

/** Checks a spec's shape (not its names: the pool knows its sources and pools). */
export function checkBatchSpec(spec: BatchSpec): void {
  if (spec.kind !== 'train' && spec.kind !== 'eval') throw new Error(`batch spec: kind must be train or eval`);
  if (!Array.isArray(spec.indices) || spec.indices.length === 0)
    throw new Error(`batch spec: indices must be a non-empty array`);
  const s = spec.streams;
  if (!s || !(Number.isInteger(s.firstPosition) && s.firstPosition >= 0)) {
    throw new Error(`batch spec: streams.firstPosition must be an integer >= 0, got ${s?.firstPosition}`);
  }
}

/**
 * The batch of `spec` from its decoded `items` (items[i] is spec.indices[i]) and the background pool
 * (when spec.background is set). `out` buffers of the right length are written instead of new ones.
 */
export function transformBatch(
  spec: BatchSpec,
  items: readonly BatchItem[],
  cfg: TransformConfig,
  pool?: readonly RgbImage[],
  out: { images?: Float32Array; masks?: Float32Array } = {},
): PreparedBatch {
  checkBatchSpec(spec);
  if (items.length !== spec.indices.length) {
    throw new Error(`transformBatch: ${items.length} items for ${spec.indices.length} indices`);
  }
  if (spec.background !== undefined && (pool === undefined || pool.length === 0)) {
    throw new Error(`transformBatch: background pool ${spec.background} is empty or missing`);
  }
  const n = items.length;
  const px = cfg.crop * cfg.crop;
  const images = buffer(out.images, n * px * 3, 'images');
  const labels = new Int32Array(n);
  const masks = spec.masks ? buffer(out.masks, n * px, 'masks') : undefined;
  const needMask = specNeedsMasks(spec);
  const { seed, split, epoch, firstPosition } = spec.streams;
  const target: SampleTarget = { image: images, imageOffset: 0, mask: masks, maskOffset: 0 };
  for (let b = 0; b < n; b++) {
    const item = items[b];
    const position = firstPosition + b;
    target.imageOffset = b * px * 3;
    target.maskOffset = masks ? b * px : 0;
    const mask = needMask ? item.mask : undefined;
    if (needMask && mask === undefined) throw new Error(`transformBatch: item ${spec.indices[b]} has no mask`);
    try {
      const background =
        spec.background === undefined
          ? undefined
          : { pool: pool!, rng: sampleStream({ seed, split, epoch, position, purpose: 'background' }) };
      if (spec.kind === 'train') {
        const rng = sampleStream({ seed, split, epoch, position, purpose: 'image' });
        trainTransformInto(item.image, mask, cfg, rng, target, background);
      } else {
        evalTransformInto(item.image, mask, cfg, target, background);
      }
    } catch (e) {
      throw new Error(`sample ${b} (${spec.source} item ${spec.indices[b]}, ${item.id}): ${(e as Error).message}`, {
        cause: e,
      });
    }
    labels[b] = item.label;
  }
  return { images, labels, masks, size: n, crop: cfg.crop };
}

function buffer(given: Float32Array | undefined, length: number, what: string): Float32Array {
  if (given === undefined) return new Float32Array(length);
  if (given.length !== length)
    throw new Error(`transformBatch: ${what} buffer has ${given.length} floats, needs ${length}`);
  return given;
}
