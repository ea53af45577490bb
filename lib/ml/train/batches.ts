import * as tf from '@tensorflow/tfjs';
import type { DecodedItem } from '../../data/decodeShards';
import type { RgbImage } from '../../image/types';
import type { Rng } from '../../util/rng';
import { evalTransformInto, trainTransformInto, type SampleTarget, type TransformConfig } from '../transforms/pipeline';

/** Pixels of one batch before they become a tensor: crop*crop*3 floats per image. */
export interface HostBatch {
  images: Float32Array;
  labels: Int32Array;
  size: number;
  crop: number;
}

/**
 * A training batch (docs/protocol.md sections 4-5): train transform of each image and its mask; in bgaugment mode
 * EVERY image (p = 1) gets `x*m + bg*(1-m)` with a background drawn uniformly with replacement from
 * the pool and train-transformed afresh. Draws per image, in order: crop, flip, then (bgaugment) the
 * background, its crop, its flip. `out` (size * crop*crop*3 floats) is written instead of a new array.
 */
export function trainBatch(
  items: readonly DecodedItem[],
  cfg: TransformConfig,
  rng: Rng,
  backgrounds?: readonly RgbImage[],
  out?: Float32Array,
): HostBatch {
  const px = cfg.crop * cfg.crop * 3;
  const images = batchBuffer(out, items.length * px);
  const labels = new Int32Array(items.length);
  const target: SampleTarget = { image: images, imageOffset: 0 };
  const background = backgrounds ? { pool: backgrounds, rng } : undefined;
  for (let b = 0; b < items.length; b++) {
    const item = items[b];
    target.imageOffset = b * px;
    trainTransformInto(item.image, backgrounds ? item.mask : undefined, cfg, rng, target, background);
    labels[b] = item.label;
  }
  return { images, labels, size: items.length, crop: cfg.crop };
}

/**
 * An evaluation batch: val transform; with `swapped`, the swapped-background variant where every
 * image is composited onto a train-transformed background drawn from `swapped.rng`.
 */
export function evalBatch(
  items: readonly DecodedItem[],
  cfg: TransformConfig,
  swapped?: { backgrounds: readonly RgbImage[]; rng: Rng },
  out?: Float32Array,
): HostBatch {
  const px = cfg.crop * cfg.crop * 3;
  const n = items.length;
  const images = batchBuffer(out, n * px);
  const labels = new Int32Array(n);
  const target: SampleTarget = { image: images, imageOffset: 0 };
  const background = swapped ? { pool: swapped.backgrounds, rng: swapped.rng } : undefined;
  for (let b = 0; b < n; b++) {
    const item = items[b];
    target.imageOffset = b * px;
    evalTransformInto(item.image, swapped ? item.mask : undefined, cfg, target, background);
    labels[b] = item.label;
  }
  return { images, labels, size: n, crop: cfg.crop };
}

export function batchTensor(batch: HostBatch): tf.Tensor4D {
  return tf.tensor4d(batch.images, [batch.size, batch.crop, batch.crop, 3]);
}

function batchBuffer(out: Float32Array | undefined, length: number): Float32Array {
  if (out === undefined) return new Float32Array(length);
  if (out.length !== length) throw new Error(`batch buffer has ${out.length} floats, the batch needs ${length}`);
  return out;
}
