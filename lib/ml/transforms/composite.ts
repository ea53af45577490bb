/**
 * BGAugment / swapped-background compositing (docs/protocol.md section 5): x*m + bg*(1-m) on the already
 * normalised tensors (after the full transform), with the soft mask broadcast over the channels.
 */
import * as tf from '@tensorflow/tfjs';

/** image, background: H*W*C interleaved (HWC); mask: H*W in [0, 1]. Returns a new array. */
export function compositeBackground(image: Float32Array, mask: Float32Array, background: Float32Array): Float32Array {
  if (background.length !== image.length) {
    throw new Error(`compositeBackground: background has ${background.length} values, image has ${image.length}`);
  }
  if (mask.length === 0 || image.length % mask.length !== 0) {
    throw new Error(
      `compositeBackground: image length ${image.length} is not a multiple of mask length ${mask.length}`,
    );
  }
  const channels = image.length / mask.length;
  const out = new Float32Array(image.length);
  for (let p = 0; p < mask.length; p++) {
    const m = mask[p];
    const o = p * channels;
    for (let c = 0; c < channels; c++) out[o + c] = image[o + c] * m + background[o + c] * (1 - m);
  }
  return out;
}

/** Batched: images, backgrounds [N,H,W,C]; masks [N,H,W,1] (or [N,H,W]). */
export function compositeBackgroundBatch(images: tf.Tensor4D, masks: tf.Tensor, backgrounds: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w] = images.shape;
  if (!tf.util.arraysEqual(images.shape, backgrounds.shape)) {
    throw new Error(
      `compositeBackgroundBatch: images ${JSON.stringify(images.shape)} vs backgrounds ${JSON.stringify(backgrounds.shape)}`,
    );
  }
  const okMask =
    (masks.rank === 4 && tf.util.arraysEqual(masks.shape, [n, h, w, 1])) ||
    (masks.rank === 3 && tf.util.arraysEqual(masks.shape, [n, h, w]));
  if (!okMask)
    throw new Error(`compositeBackgroundBatch: masks must be [${n},${h},${w},1], got ${JSON.stringify(masks.shape)}`);
  return tf.tidy(() => {
    const m = masks.rank === 3 ? masks.expandDims(3) : masks;
    // x*m + bg*(1-m), written as bg + m*(x - bg) would round differently from the reference.
    return images.mul(m).add(backgrounds.mul(tf.scalar(1).sub(m))) as tf.Tensor4D;
  });
}
