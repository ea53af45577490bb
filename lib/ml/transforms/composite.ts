/**
 * BGAugment / swapped-background compositing (docs/protocol.md section 5): x*m + bg*(1-m) on the already
 * normalised tensors (after the full transform), with the soft mask broadcast over the channels.
 *
 * The reference computes it in float32 as four tensor ops (x*m, 1-m, bg*(1-m), the sum), each rounded
 * to float32. Here each of them is rounded with Math.fround: a float32 operation on float32 inputs,
 * done in double and rounded once, is exactly the float32 result, so the values equal torch's bit for
 * bit (a single rounding of the double expression would not).
 */
import * as tf from '@tensorflow/tfjs';
import type { RowSink } from '../../image/pilResize';
import type { NormalisationTables } from './pipeline';

const f32 = Math.fround;

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
    const om = f32(1 - m);
    const o = p * channels;
    for (let c = 0; c < channels; c++) out[o + c] = f32(image[o + c] * m) + f32(background[o + c] * om);
  }
  return out;
}

/**
 * A row sink for the background's resampled RGB rows: each row becomes BGR floats minus the mean
 * (`tables`), flipped when asked, and is composited in place onto the sample at `imageOffset` of
 * `image` with its mask at `maskOffset` of `mask` (rows of `width` pixels).
 */
export function compositeRowSink(
  image: Float32Array,
  imageOffset: number,
  mask: Float32Array,
  maskOffset: number,
  width: number,
  tables: NormalisationTables,
  flip: boolean,
): RowSink {
  const { b: tb, g: tg, r: tr } = tables;
  const rowLen = width * 3;
  return (buf, s, y) => {
    const d0 = imageOffset + y * rowLen;
    const m0 = maskOffset + y * width;
    for (let x = 0; x < width; x++, s += 3) {
      const xo = flip ? width - 1 - x : x;
      const m = mask[m0 + xo];
      const om = f32(1 - m);
      const d = d0 + xo * 3;
      image[d] = f32(image[d] * m) + f32(tb[buf[s + 2]] * om);
      image[d + 1] = f32(image[d + 1] * m) + f32(tg[buf[s + 1]] * om);
      image[d + 2] = f32(image[d + 2] * m) + f32(tr[buf[s]] * om);
    }
  };
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
