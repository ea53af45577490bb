/**
 * An audit image back from the model's channel space to RGB bytes, for figures: the inverse of
 * inputConvention.ts toModelSpace (y = (x - mean) / std, channel order, range), rounded and clamped.
 */
import type { InputConvention } from './inputConvention';

export function toDisplayRgb(image: Float32Array, conv: InputConvention): Uint8Array {
  const scale = conv.range === '0-1' ? 255 : 1;
  // model channel c reads RGB channel src[c]
  const src = conv.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const out = new Uint8Array(image.length);
  for (let p = 0; p < image.length; p += 3) {
    for (let c = 0; c < 3; c++) {
      const v = (image[p + c] * conv.std[c] + conv.mean[c]) * scale;
      out[p + src[c]] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return out;
}
