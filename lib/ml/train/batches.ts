import * as tf from '@tensorflow/tfjs';
import type { DecodedItem } from '../../data/decodeShards';
import type { RgbImage } from '../../image/types';
import type { Rng } from '../../util/rng';
import { compositeBackground } from '../transforms/composite';
import { backgroundTransform, evalTransform, trainTransform, type TransformConfig } from '../transforms/pipeline';

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
 * the pool and train-transformed afresh.
 */
export function trainBatch(
  items: readonly DecodedItem[],
  cfg: TransformConfig,
  rng: Rng,
  backgrounds?: readonly RgbImage[],
): HostBatch {
  const px = cfg.crop * cfg.crop * 3;
  const images = new Float32Array(items.length * px);
  const labels = new Int32Array(items.length);
  items.forEach((item, b) => {
    const t = trainTransform(item.image, backgrounds ? item.mask : undefined, cfg, rng);
    let x = t.image;
    if (backgrounds) {
      const bg = backgroundTransform(rng.pick(backgrounds), cfg, rng);
      x = compositeBackground(x, t.mask!, bg);
    }
    images.set(x, b * px);
    labels[b] = item.label;
  });
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
): HostBatch {
  const px = cfg.crop * cfg.crop * 3;
  const n = items.length;
  const images = new Float32Array(n * px);
  const labels = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    const item = items[b];
    const t = evalTransform(item.image, swapped ? item.mask : undefined, cfg);
    let x = t.image;
    if (swapped) {
      const bg = backgroundTransform(swapped.rng.pick(swapped.backgrounds), cfg, swapped.rng);
      x = compositeBackground(x, t.mask!, bg);
    }
    images.set(x, b * px);
    labels[b] = item.label;
  }
  return { images, labels, size: n, crop: cfg.crop };
}

export function batchTensor(batch: HostBatch): tf.Tensor4D {
  return tf.tensor4d(batch.images, [batch.size, batch.crop, batch.crop, 3]);
}
