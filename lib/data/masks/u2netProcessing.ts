/**
 * rembg 2.0.19's pre- and post-processing around u2net (docs/protocol.md section 3), reproduced to the
 * bit: session_base.normalize and session_simple.predict.
 *  pre:  RGB -> 320x320 PIL Lanczos -> / (the image's own max pixel, in float64) -> (x - mean) / std
 *        (float64) -> float32, NCHW.
 *  post: output 0, channel 0 (float32) -> (p - min) / (max - min) -> * 255 -> uint8 (truncation),
 *        every step in float32 like numpy -> PIL Lanczos back to the image's size.
 */
import type { GrayImage, RgbImage } from '../../image/types';
import { pilResize } from '../../image/pilResize';

export const U2NET_SIZE = 320;
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** The 320x320 RGB image u2net sees (PIL Lanczos). */
export function u2netResized(img: RgbImage): Uint8Array {
  return pilResize(img, 3, U2NET_SIZE, U2NET_SIZE, 'lanczos');
}

/** Writes the normalised CHW tensor of one image into `out` at `offset` (3*320*320 floats). */
export function u2netInput(
  img: RgbImage,
  out = new Float32Array(3 * U2NET_SIZE * U2NET_SIZE),
  offset = 0,
): Float32Array {
  const px = u2netResized(img);
  let max = 0;
  for (let i = 0; i < px.length; i++) if (px[i] > max) max = px[i];
  // An all-black image gives 0/0 = NaN in rembg; keep NaN (the mask then becomes all zero, as there).
  const plane = U2NET_SIZE * U2NET_SIZE;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[offset + c * plane + i] = (px[i * 3 + c] / max - MEAN[c]) / STD[c];
  }
  return out;
}

/** Min-max normalised uint8 map at 320x320, from channel 0 of output 0 (a 320*320 float32 view). */
export function u2netMask320(pred: Float32Array): Uint8Array {
  const f = Math.fround;
  let mi = Infinity;
  let ma = -Infinity;
  for (let i = 0; i < pred.length; i++) {
    const v = pred[i];
    if (v < mi) mi = v;
    if (v > ma) ma = v;
  }
  const range = f(ma - mi);
  const out = new Uint8Array(pred.length);
  for (let i = 0; i < pred.length; i++) {
    // numpy float32: each op rounded to float32; astype('uint8') truncates (NaN -> 0 on x86).
    const v = f(f(f(pred[i] - mi) / range) * 255);
    out[i] = Number.isNaN(v) ? 0 : Math.trunc(v) & 0xff;
  }
  return out;
}

export function u2netMask(pred: Float32Array, width: number, height: number): GrayImage {
  const m320 = u2netMask320(pred);
  const data = pilResize({ width: U2NET_SIZE, height: U2NET_SIZE, data: m320 }, 1, width, height, 'lanczos');
  return { width, height, data };
}
