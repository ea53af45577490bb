/**
 * SmoothGrad attention maps (paper Section 6; docs/protocol.md section 10), as the reference's analysis.py.
 * SmoothGrad (Smilkov et al., 2017) averages input gradients over noisy copies of the image, which
 * removes the speckle of a single gradient; the paper's target is the embedding's distance to the
 * embedding of a black image instead of a class score:
 *
 *   copies_c = image + N(0,1) * noiseLevel * (max(image) - min(image))          c = 1..copies
 *   target   = mean_c distance(embed(copies_c), reference)                      PML distance
 *   g        = sum_c | mean_over_channels( d target / d copies_c ) |            H x W
 *   attention = clamp((g - min g) / (quantile_0.99(g) - min g), 0, 1)
 *
 * `distance` is the loss's own PML distance with its default normalize_embeddings=True: 'euclidean'
 * (LpDistance, contrastive/triplet) or 'cosine' (CosineSimilarity, the other three losses), both on
 * L2-normalised embeddings. The mean over copies (not the sum) is the reference's; a constant factor
 * cancels in the min/quantile normalisation anyway, so it only matters for float rounding.
 * Copies are processed in batches; BatchNorm runs in inference mode, so each copy's gradient is
 * independent of its batch and batching changes nothing.
 */
import * as tf from '@tensorflow/tfjs';
import type { EmbeddingModel } from '../models/types';
import { l2Normalize } from '../ops/l2Normalize';
import type { Rng } from '../../util/rng';
import { mapQuantile } from './quantile';

export type AttributionDistance = 'euclidean' | 'cosine';

export interface SmoothGradOptions {
  /** Noisy copies (reference: 25). */
  copies?: number;
  /** Noise std as a fraction of the image's value range (reference: 0.15). */
  noiseLevel?: number;
  /** Copies per forward/backward pass (default: all copies at once). */
  batchSize?: number;
  /** v_max quantile (reference: 0.99). */
  quantile?: number;
  /**
   * Source of the standard-normal draws, `count` = copies*H*W*3 values in NHWC order (copy-major).
   * Default: `rng.normal()`. Tests inject the exact noise a PyTorch run used.
   */
  standardNormal?: (count: number) => Float32Array;
}

/** PML-style distance between L2-normalised rows of `e` [B,D] and the reference [D]: [B]. */
function pmlDistance(e: tf.Tensor2D, reference: tf.Tensor1D, distance: AttributionDistance): tf.Tensor1D {
  // torch.nn.functional.normalize: x / max(|x|, 1e-12), with a finite gradient at 0
  const en = l2Normalize(e);
  const rn = l2Normalize(reference.reshape([1, -1]) as tf.Tensor2D);
  if (distance === 'cosine') return tf.sum(tf.mul(en, rn), 1) as tf.Tensor1D;
  return tf.sqrt(tf.sum(tf.square(tf.sub(en, rn)), 1)) as tf.Tensor1D;
}

/**
 * Sum over copies of |channel-mean gradient| (the map before normalisation), H*W row-major.
 * Exposed so the gradient part can be checked on its own.
 */
export function summedAbsGradients(
  model: EmbeddingModel,
  image: tf.Tensor3D,
  reference: tf.Tensor1D,
  distance: AttributionDistance,
  rng: Rng,
  opts: SmoothGradOptions = {},
): Float32Array {
  const copies = opts.copies ?? 25;
  const noiseLevel = opts.noiseLevel ?? 0.15;
  const batchSize = opts.batchSize ?? copies;
  if (image.rank !== 3 || image.shape[2] !== 3)
    throw new Error(`smoothGrad: image must be [H, W, 3], got [${image.shape.join(', ')}]`);
  if (reference.rank !== 1 || reference.shape[0] !== model.embeddingSize) {
    throw new Error(`smoothGrad: reference must be [${model.embeddingSize}], got [${reference.shape.join(', ')}]`);
  }
  if (distance !== 'euclidean' && distance !== 'cosine')
    throw new Error(`smoothGrad: distance must be 'euclidean' or 'cosine', got ${JSON.stringify(distance)}`);
  if (!Number.isInteger(copies) || copies < 1)
    throw new Error(`smoothGrad: copies must be a positive integer, got ${copies}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`smoothGrad: batchSize must be a positive integer, got ${batchSize}`);
  if (!(noiseLevel >= 0)) throw new Error(`smoothGrad: noiseLevel must be >= 0, got ${noiseLevel}`);

  const [h, w] = image.shape;
  const perCopy = h * w * 3;
  const pixels = image.dataSync() as Float32Array;
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < pixels.length; i++) {
    if (pixels[i] < lo) lo = pixels[i];
    if (pixels[i] > hi) hi = pixels[i];
  }
  const std = noiseLevel * (hi - lo);
  const count = copies * perCopy;
  const noise = opts.standardNormal ? opts.standardNormal(count) : defaultNormal(rng, count);
  if (!(noise instanceof Float32Array) || noise.length !== count) {
    throw new Error(`smoothGrad: standardNormal(${count}) returned ${noise?.length} values`);
  }

  const total = new Float32Array(h * w);
  for (let c0 = 0; c0 < copies; c0 += batchSize) {
    const b = Math.min(batchSize, copies - c0);
    const absMean = tf.tidy(() => {
      const eps = tf.tensor4d(noise.subarray(c0 * perCopy, (c0 + b) * perCopy), [b, h, w, 3]);
      const x = tf.add(image.expandDims(0), tf.mul(eps, std)) as tf.Tensor4D;
      // d/dx of (sum over this batch's copies)/copies = this batch's share of d(mean over all)/dx.
      const grad = tf.grad((xi: tf.Tensor) =>
        tf.div(tf.sum(pmlDistance(model.embed(xi as tf.Tensor4D), reference, distance)), copies),
      )(x);
      return tf.sum(tf.abs(tf.mean(grad, 3)), 0); // [h, w]: |channel mean|, summed over the batch
    });
    const part = absMean.dataSync();
    absMean.dispose();
    for (let i = 0; i < total.length; i++) total[i] += part[i];
  }
  return total;
}

function defaultNormal(rng: Rng, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal();
  return out;
}

/**
 * (g - min) / (quantile_q(g) - min), clamped to [0, 1]. With v_max = v_min the reference's torch
 * arithmetic gives NaN where g = v_min (0/0) and 1 elsewhere (x/0 = inf, clamped); so does this.
 */
export function normaliseAttention(g: Float32Array, q = 0.99): Float32Array {
  const vMax = mapQuantile(g, q);
  let vMin = Infinity;
  for (let i = 0; i < g.length; i++) if (g[i] < vMin) vMin = g[i];
  const out = new Float32Array(g.length);
  const range = vMax - vMin;
  for (let i = 0; i < g.length; i++) {
    const v = (g[i] - vMin) / range;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v; // NaN passes through, as torch.clamp lets it
  }
  return out;
}

/** The H x W SmoothGrad attention map in [0, 1] of `image` ([H,W,3], val transform) for `model`. */
export function smoothGradAttentionMap(
  model: EmbeddingModel,
  image: tf.Tensor3D,
  reference: tf.Tensor1D,
  distance: AttributionDistance,
  rng: Rng,
  opts: SmoothGradOptions = {},
): tf.Tensor2D {
  const g = summedAbsGradients(model, image, reference, distance, rng, opts);
  return tf.tensor2d(normaliseAttention(g, opts.quantile ?? 0.99), [image.shape[0], image.shape[1]]);
}
