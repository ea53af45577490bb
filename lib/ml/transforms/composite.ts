/**
 * BGAugment / swapped-background compositing (docs/protocol.md section 5): x*m + bg*(1-m) on the already
 * normalised tensors (after the full transform), with the soft mask broadcast over the channels.
 *
 * The reference computes it in float32 as four tensor ops (x*m, 1-m, bg*(1-m), the sum), each rounded
 * to float32. Here each of them is rounded with Math.fround: a float32 operation on float32 inputs,
 * done in double and rounded once, is exactly the float32 result, so the values equal torch's bit for
 * bit (a single rounding of the double expression would not).
 *
 * No tfjs here: the input pipeline's worker threads composite on the host, and must not load TensorFlow.
 */
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
  if (!flip) {
    return (buf, s, y) => {
      const d0 = imageOffset + y * rowLen;
      const m0 = maskOffset + y * width;
      for (let x = 0, d = d0; x < width; x++, s += 3, d += 3) {
        const m = mask[m0 + x];
        const om = f32(1 - m);
        image[d] = f32(image[d] * m) + f32(tb[buf[s + 2]] * om);
        image[d + 1] = f32(image[d + 1] * m) + f32(tg[buf[s + 1]] * om);
        image[d + 2] = f32(image[d + 2] * m) + f32(tr[buf[s]] * om);
      }
    };
  }
  return (buf, s, y) => {
    const m0 = maskOffset + y * width + width - 1;
    for (let x = 0, d = imageOffset + y * rowLen + rowLen - 3; x < width; x++, s += 3, d -= 3) {
      const m = mask[m0 - x];
      const om = f32(1 - m);
      image[d] = f32(image[d] * m) + f32(tb[buf[s + 2]] * om);
      image[d + 1] = f32(image[d + 1] * m) + f32(tg[buf[s + 1]] * om);
      image[d + 2] = f32(image[d + 2] * m) + f32(tr[buf[s]] * om);
    }
  };
}
