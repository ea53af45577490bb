/**
 * The paper's image transforms (docs/protocol.md section 4), reproducing the reference implementation's
 * TrainTransform / ValTransform on PIL images:
 *   RGB->BGR; Resize(256) (shorter side, Pillow bilinear); RandomResizedCrop params ->
 *   crop + resize to 227 (Pillow bilinear) | CenterCrop(227); flip if uniform() > 0.5 (train only);
 *   to float; x255 - BGR mean. The mask (greyscale) gets the same geometry and ends in [0, 1].
 *
 * Performance: everything is synchronous typed-array work (see pilResize.ts). Resizing the shorter
 * side is the expensive step for large photos; callers that draw many crops from one image should run
 * `resizeShorterSide` once and keep the result: the transforms below skip the resize when the
 * shorter side already has the configured length (exactly what Pillow does: it returns a copy).
 */
import type { GrayImage, RgbImage } from '../../image/types';
import { pilResizeBox, type PixelBox } from '../../image/pilResize';
import { resizedSize } from '../../image/resizedSize';
import { pythonRound } from './pythonRound';
import { randomResizedCropParams, type TransformRng } from './randomResizedCrop';

export interface TransformConfig {
  /** Length of the shorter side after the first resize (256 in the paper). */
  resizeShort: number;
  /** Side of the square crop fed to the model (227 in the paper). */
  crop: number;
  /** RandomResizedCrop area range (0.16, 1). */
  scale: [number, number];
  /** RandomResizedCrop aspect range (0.75, 1.33). */
  ratio: [number, number];
  /** Per-channel mean in BGR order, subtracted after x255 ([104, 117, 128]). */
  mean: [number, number, number];
}

export const PAPER_TRANSFORM: TransformConfig = Object.freeze({
  resizeShort: 256,
  crop: 227,
  scale: [0.16, 1] as [number, number],
  ratio: [0.75, 1.33] as [number, number],
  mean: [104, 117, 128] as [number, number, number],
}) as TransformConfig;

export interface TransformedSample {
  /** crop*crop*3, HWC, BGR, 0..255 minus mean. */
  image: Float32Array;
  /** crop*crop in [0, 1], when a mask was given. */
  mask?: Float32Array;
}

/** torchvision Resize(size) on a PIL image: shorter side to `size`, Pillow bilinear. */
export function resizeShorterSide<T extends RgbImage | GrayImage>(img: T, size: number, channels: 1 | 3): T {
  checkImage(img, channels, 'resizeShorterSide');
  if (!(Number.isInteger(size) && size > 0)) throw new Error(`resizeShorterSide: invalid size ${size}`);
  const out = resizedSize(img.width, img.height, size);
  if (out.width === img.width && out.height === img.height) return img;
  const data = pilResizeBox(
    img.data,
    img.width,
    img.height,
    channels,
    { left: 0, top: 0, width: img.width, height: img.height },
    out.width,
    out.height,
  );
  return { width: out.width, height: out.height, data } as T;
}

/** Train transform: resize short side, random resized crop, flip with p = 0.5; same geometry for the mask. */
export function trainTransform(
  img: RgbImage,
  mask: GrayImage | undefined,
  cfg: TransformConfig,
  rng: TransformRng,
): TransformedSample {
  checkConfig(cfg);
  const resized = resizeShorterSide(img, cfg.resizeShort, 3);
  const resizedMask = mask === undefined ? undefined : resizeShorterSide(checkMaskSize(mask, img), cfg.resizeShort, 1);
  const p = randomResizedCropParams(resized.width, resized.height, rng, cfg.scale, cfg.ratio);
  const box: PixelBox = { left: p.left, top: p.top, width: p.width, height: p.height };
  // The reference flips when np.random.rand() > 0.5.
  const flip = rng.uniform() > 0.5;
  const pixels = pilResizeBox(resized.data, resized.width, resized.height, 3, box, cfg.crop, cfg.crop);
  const result: TransformedSample = { image: toNormalisedBgr(pixels, cfg.crop, cfg.crop, cfg.mean, flip) };
  if (resizedMask !== undefined) {
    const m = pilResizeBox(resizedMask.data, resizedMask.width, resizedMask.height, 1, box, cfg.crop, cfg.crop);
    result.mask = toUnitMask(m, cfg.crop, cfg.crop, flip);
  }
  return result;
}

/** Val/test transform: resize short side, centre crop (torchvision rounding), no flip. */
export function evalTransform(img: RgbImage, mask: GrayImage | undefined, cfg: TransformConfig): TransformedSample {
  checkConfig(cfg);
  const resized = resizeShorterSide(img, cfg.resizeShort, 3);
  const box = centerCropBox(resized.width, resized.height, cfg.crop);
  const pixels = copyBox(resized.data, resized.width, 3, box);
  const result: TransformedSample = { image: toNormalisedBgr(pixels, cfg.crop, cfg.crop, cfg.mean, false) };
  if (mask !== undefined) {
    const rm = resizeShorterSide(checkMaskSize(mask, img), cfg.resizeShort, 1);
    result.mask = toUnitMask(copyBox(rm.data, rm.width, 1, box), cfg.crop, cfg.crop, false);
  }
  return result;
}

/** Backgrounds always get the train transform (fresh crop and flip per use), docs/protocol.md section 4. */
export function backgroundTransform(bg: RgbImage, cfg: TransformConfig, rng: TransformRng): Float32Array {
  return trainTransform(bg, undefined, cfg, rng).image;
}

/** torchvision CenterCrop: top = int(round((h - ch) / 2.0)) with Python's half-to-even round. */
export function centerCropBox(width: number, height: number, crop: number): PixelBox {
  if (crop > width || crop > height) {
    throw new Error(
      `centerCropBox: crop ${crop} is larger than the ${width}x${height} image (resizeShort must be >= crop)`,
    );
  }
  return { top: pythonRound((height - crop) / 2), left: pythonRound((width - crop) / 2), width: crop, height: crop };
}

/**
 * The reference runs to_tensor (v / 255 in float32) and then multiplies by 255 in float32, which is not
 * exactly v for every byte value; this table holds those float32 values.
 */
const TO_TENSOR_X255 = Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(v / 255) * 255));

/** uint8 RGB HWC -> float BGR HWC, x255 scale kept (0..255), minus the BGR mean; optional horizontal flip. */
export function toNormalisedBgr(
  rgb: Uint8Array,
  width: number,
  height: number,
  meanBgr: readonly [number, number, number],
  flip: boolean,
): Float32Array {
  const out = new Float32Array(width * height * 3);
  const [mb, mg, mr] = meanBgr;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + (flip ? width - 1 - x : x)) * 3;
      const o = (y * width + x) * 3;
      out[o] = TO_TENSOR_X255[rgb[s + 2]] - mb;
      out[o + 1] = TO_TENSOR_X255[rgb[s + 1]] - mg;
      out[o + 2] = TO_TENSOR_X255[rgb[s]] - mr;
    }
  }
  return out;
}

function toUnitMask(gray: Uint8Array, width: number, height: number, flip: boolean): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      out[y * width + x] = gray[y * width + (flip ? width - 1 - x : x)] / 255;
    }
  }
  return out;
}

function copyBox(src: Uint8Array, srcWidth: number, channels: number, box: PixelBox): Uint8Array {
  const out = new Uint8Array(box.width * box.height * channels);
  const rowLen = box.width * channels;
  for (let r = 0; r < box.height; r++) {
    const s = ((box.top + r) * srcWidth + box.left) * channels;
    out.set(src.subarray(s, s + rowLen), r * rowLen);
  }
  return out;
}

function checkImage(img: RgbImage | GrayImage, channels: number, where: string): void {
  if (!(Number.isInteger(img.width) && Number.isInteger(img.height) && img.width > 0 && img.height > 0)) {
    throw new Error(`${where}: invalid image size ${img.width}x${img.height}`);
  }
  if (img.data.length !== img.width * img.height * channels) {
    throw new Error(
      `${where}: expected ${img.width}x${img.height}x${channels} = ${img.width * img.height * channels} bytes, got ${img.data.length}`,
    );
  }
}

function checkMaskSize(mask: GrayImage, img: RgbImage): GrayImage {
  if (mask.width !== img.width || mask.height !== img.height) {
    throw new Error(`mask is ${mask.width}x${mask.height} but its image is ${img.width}x${img.height}`);
  }
  return mask;
}

function checkConfig(cfg: TransformConfig): void {
  if (
    !(Number.isInteger(cfg.crop) && cfg.crop > 0 && Number.isInteger(cfg.resizeShort) && cfg.resizeShort >= cfg.crop)
  ) {
    throw new Error(
      `TransformConfig: need integers resizeShort >= crop > 0, got resizeShort=${cfg.resizeShort}, crop=${cfg.crop}`,
    );
  }
  if (cfg.mean.length !== 3) throw new Error(`TransformConfig.mean: expected 3 BGR values, got ${cfg.mean.length}`);
}
