/**
 * Reads any image file as an 8-bit single-channel mask exactly as PIL's `Image.open(p).convert("L")`
 * does (the reference reads every mask that way): colour pixels become ITU-R 601-2 luma with PIL's
 * fixed-point rounding, (19595 R + 38470 G + 7471 B + 0x8000) >> 16; alpha is ignored.
 * (sharp's own greyscale conversion uses other weights, so it is not used here.)
 */
import sharp from 'sharp';
import type { GrayImage, RgbImage } from './types';

export async function decodeRaw(
  input: string | Buffer,
  what = typeof input === 'string' ? input : 'image',
): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  try {
    const { data, info } = await sharp(input, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (e) {
    throw new Error(`cannot decode image ${what}: ${(e as Error).message}`, { cause: e });
  }
}

export function toGrayLikePil(raw: { data: Uint8Array; width: number; height: number; channels: number }): GrayImage {
  const { data, width, height, channels } = raw;
  const n = width * height;
  const out = new Uint8Array(n);
  if (channels <= 2) {
    for (let i = 0; i < n; i++) out[i] = data[i * channels];
  } else {
    for (let i = 0; i < n; i++) {
      const o = i * channels;
      out[i] = (data[o] * 19595 + data[o + 1] * 38470 + data[o + 2] * 7471 + 0x8000) >>> 16;
    }
  }
  return { width, height, data: out };
}

/** Like PIL's convert("RGB"): grey is replicated, alpha dropped. */
export function toRgb(raw: { data: Uint8Array; width: number; height: number; channels: number }): RgbImage {
  const { data, width, height, channels } = raw;
  if (channels === 3) return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    if (channels <= 2) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = data[o];
    else {
      out[i * 3] = data[o];
      out[i * 3 + 1] = data[o + 1];
      out[i * 3 + 2] = data[o + 2];
    }
  }
  return { width, height, data: out };
}

export async function readGray(path: string): Promise<GrayImage> {
  return toGrayLikePil(await decodeRaw(path));
}

export async function readRgb(input: string | Buffer, what?: string): Promise<RgbImage> {
  return toRgb(await decodeRaw(input, what));
}
