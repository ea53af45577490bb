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
 * The `...Into` variants write straight into a caller's buffer (a batch): the resampler hands over
 * each output row of Pillow-exact bytes, and the row is flipped, turned into BGR floats and
 * normalised (or composited onto, for a background) while it is in cache, with no intermediate image
 * and no allocation per sample. The float arithmetic is the reference's float32 arithmetic, step for
 * step (tables below), so the values equal torch's exactly, not just within a tolerance.
 */
import type { GrayImage, RgbImage } from '../../image/types';
import { pilResizeBox, pilResizeBoxRows, pilResizeBoxToWasm, type PixelBox, type RowSink } from '../../image/pilResize';
import { resizedSize } from '../../image/resizedSize';
import { compositeRowSink } from './composite';
import { pythonRound } from './pythonRound';
import { randomResizedCropParams, type TransformRng } from './randomResizedCrop';
import { kernels, loadTables, MASK_TABLE_AT, sampleWorkspace, TABLES_AT, type Kernels } from '../../image/wasmKernels';

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

/**
 * Where a transformed sample goes: `crop*crop*3` HWC BGR values at `imageOffset` of `image`, and (when
 * a mask is transformed) `crop*crop` values in [0, 1] at `maskOffset` of `mask`.
 */
export interface SampleTarget {
  image: Float32Array;
  imageOffset: number;
  mask?: Float32Array;
  maskOffset?: number;
}

/** Train transform: resize short side, random resized crop, flip with p = 0.5; same geometry for the mask. */
export function trainTransform(
  img: RgbImage,
  mask: GrayImage | undefined,
  cfg: TransformConfig,
  rng: TransformRng,
): TransformedSample {
  const target = newTarget(cfg, mask !== undefined);
  trainTransformInto(img, mask, cfg, rng, target);
  return { image: target.image, mask: target.mask };
}

/** A background to composite a sample onto: drawn from `pool` with `rng` (pick, then crop, then flip). */
export interface BackgroundDraw {
  pool: readonly RgbImage[];
  /** lib/util/rng.ts's Rng satisfies it: pick is uniform over the pool. */
  rng: TransformRng & { pick<T>(items: readonly T[]): T };
}

/** The first step of both transforms: the image (and its mask) resized to the configured short side. */
function resizedShorterSide(img: RgbImage, mask: GrayImage | undefined, cfg: TransformConfig, target: SampleTarget) {
  checkConfig(cfg);
  checkTarget(target, cfg);
  const resized = resizeShorterSide(img, cfg.resizeShort, 3);
  const resizedMask = mask === undefined ? undefined : resizeShorterSide(checkMaskSize(mask, img), cfg.resizeShort, 1);
  return { resized, resizedMask };
}

/**
 * trainTransform written into `target` (the mask only when both `mask` and `target.mask` are given).
 * Draws, in the reference's order: the crop (RandomResizedCrop.get_params), then the flip. With
 * `background` (which needs `mask`), the sample is then composited onto a background, as
 * `backgroundCompositeInto` does, in the same pass over the sample's memory.
 */
export function trainTransformInto(
  img: RgbImage,
  mask: GrayImage | undefined,
  cfg: TransformConfig,
  rng: TransformRng,
  target: SampleTarget,
  background?: BackgroundDraw,
): void {
  const { resized, resizedMask } = resizedShorterSide(img, mask, cfg, target);
  const box = trainCropBox(resized, rng, cfg);
  // The reference flips when np.random.rand() > 0.5.
  const flip = rng.uniform() > 0.5;
  sampleInto(cfg, resized, resizedMask, box, flip, target, background);
}

/** Val/test transform: resize short side, centre crop (torchvision rounding), no flip. */
export function evalTransform(img: RgbImage, mask: GrayImage | undefined, cfg: TransformConfig): TransformedSample {
  const target = newTarget(cfg, mask !== undefined);
  evalTransformInto(img, mask, cfg, target);
  return { image: target.image, mask: target.mask };
}

/**
 * evalTransform written into `target` (the mask only when both `mask` and `target.mask` are given);
 * with `background` (which needs `mask`), composited onto it: the swapped-background variant.
 */
export function evalTransformInto(
  img: RgbImage,
  mask: GrayImage | undefined,
  cfg: TransformConfig,
  target: SampleTarget,
  background?: BackgroundDraw,
): void {
  const { resized, resizedMask } = resizedShorterSide(img, mask, cfg, target);
  // A crop to its own size: no resampling pass runs, the rows come straight from the resized image.
  const box = centerCropBox(resized.width, resized.height, cfg.crop);
  sampleInto(cfg, resized, resizedMask, box, false, target, background);
}

/** Backgrounds always get the train transform (fresh crop and flip per use), docs/protocol.md section 4. */
export function backgroundTransform(bg: RgbImage, cfg: TransformConfig, rng: TransformRng): Float32Array {
  return trainTransform(bg, undefined, cfg, rng).image;
}

/**
 * BGAugment / swapped backgrounds: `bg` gets the train transform (its own crop, then flip) and is
 * composited onto the sample already in `target` as x*m + bg*(1-m) with the sample's mask
 * (`target.mask`, required), in float32 exactly like the reference's tensors.
 */
export function backgroundCompositeInto(
  bg: RgbImage,
  cfg: TransformConfig,
  rng: TransformRng,
  target: SampleTarget,
): void {
  checkConfig(cfg);
  checkTarget(target, cfg);
  if (target.mask === undefined) throw new Error('backgroundCompositeInto: the target needs the sample mask');
  const c = cfg.crop;
  const k = kernels();
  if (k !== undefined) {
    const { imageAt, maskAt } = sampleWorkspace(k, c);
    new Float32Array(k.memory.buffer, imageAt, c * c * 3).set(
      target.image.subarray(target.imageOffset, target.imageOffset + c * c * 3),
    );
    const mo = target.maskOffset ?? 0;
    new Float32Array(k.memory.buffer, maskAt, c * c).set(target.mask.subarray(mo, mo + c * c));
    compositeWasm(k, cfg, bg, rng, imageAt, maskAt);
    target.image.set(new Float32Array(k.memory.buffer, imageAt, c * c * 3), target.imageOffset);
    return;
  }
  compositeJs(cfg, bg, rng, target.image, target.imageOffset, target.mask, target.maskOffset ?? 0);
}

/** One sample's crop of image and mask into `target`, then its composite onto a background if asked. */
function sampleInto(
  cfg: TransformConfig,
  resized: RgbImage,
  resizedMask: GrayImage | undefined,
  box: PixelBox,
  flip: boolean,
  target: SampleTarget,
  background: BackgroundDraw | undefined,
): void {
  if (background !== undefined && resizedMask === undefined) {
    throw new Error('a background composite needs the sample mask');
  }
  const c = cfg.crop;
  const wantMask = resizedMask !== undefined && (target.mask !== undefined || background !== undefined);
  const k = kernels();
  if (k !== undefined) {
    const t = normalisationTables(cfg.mean);
    loadTables(k, cfg.mean.join(','), t.b, t.g, t.r, MASK_UNIT);
    const { imageAt, maskAt } = sampleWorkspace(k, c);
    const rows = pilResizeBoxToWasm(resized.data, resized.width, resized.height, 3, box, c, c, 'bilinear')!;
    k.bgrFloats(rows, c, c, flip ? 1 : 0, TABLES_AT, imageAt);
    if (wantMask) {
      const m = resizedMask!;
      const mrows = pilResizeBoxToWasm(m.data, m.width, m.height, 1, box, c, c, 'bilinear')!;
      k.maskFloats(mrows, c, c, flip ? 1 : 0, MASK_TABLE_AT, maskAt);
    }
    if (background !== undefined)
      compositeWasm(k, cfg, background.rng.pick(background.pool), background.rng, imageAt, maskAt);
    target.image.set(new Float32Array(k.memory.buffer, imageAt, c * c * 3), target.imageOffset);
    if (wantMask && target.mask !== undefined) {
      target.mask.set(new Float32Array(k.memory.buffer, maskAt, c * c), target.maskOffset ?? 0);
    }
    return;
  }
  const sink = imageRowSink(target.image, target.imageOffset, c, cfg.mean, flip);
  pilResizeBoxRows(resized.data, resized.width, resized.height, 3, box, c, c, 'bilinear', sink);
  if (!wantMask) return;
  const [mask, maskOffset] = target.mask !== undefined ? [target.mask, target.maskOffset ?? 0] : [maskScratch(c), 0];
  const m = resizedMask!;
  pilResizeBoxRows(m.data, m.width, m.height, 1, box, c, c, 'bilinear', maskRowSink(mask, maskOffset, c, flip));
  if (background !== undefined) {
    compositeJs(
      cfg,
      background.rng.pick(background.pool),
      background.rng,
      target.image,
      target.imageOffset,
      mask,
      maskOffset,
    );
  }
}

/** The background's train transform composited onto the sample floats in the module's workspace. */
function compositeWasm(
  k: Kernels,
  cfg: TransformConfig,
  bg: RgbImage,
  rng: TransformRng,
  imageAt: number,
  maskAt: number,
): void {
  const t = normalisationTables(cfg.mean);
  loadTables(k, cfg.mean.join(','), t.b, t.g, t.r, MASK_UNIT);
  const resized = resizeShorterSide(bg, cfg.resizeShort, 3);
  const box = trainCropBox(resized, rng, cfg);
  const flip = rng.uniform() > 0.5;
  const c = cfg.crop;
  const rows = pilResizeBoxToWasm(resized.data, resized.width, resized.height, 3, box, c, c, 'bilinear')!;
  k.compositeFloats(rows, c, c, flip ? 1 : 0, TABLES_AT, imageAt, maskAt);
}

/** The same with the JavaScript row sinks (where WebAssembly SIMD is missing). */
function compositeJs(
  cfg: TransformConfig,
  bg: RgbImage,
  rng: TransformRng,
  image: Float32Array,
  imageOffset: number,
  mask: Float32Array,
  maskOffset: number,
): void {
  const resized = resizeShorterSide(bg, cfg.resizeShort, 3);
  const box = trainCropBox(resized, rng, cfg);
  const flip = rng.uniform() > 0.5;
  const c = cfg.crop;
  const sink = compositeRowSink(image, imageOffset, mask, maskOffset, c, normalisationTables(cfg.mean), flip);
  pilResizeBoxRows(resized.data, resized.width, resized.height, 3, box, c, c, 'bilinear', sink);
}

/** A sample's mask when the caller does not want it back (needed until the composite is done). */
let maskBuffer = new Float32Array(0);
function maskScratch(crop: number): Float32Array {
  if (maskBuffer.length !== crop * crop) maskBuffer = new Float32Array(crop * crop);
  return maskBuffer;
}

function trainCropBox(resized: RgbImage, rng: TransformRng, cfg: TransformConfig): PixelBox {
  const p = randomResizedCropParams(resized.width, resized.height, rng, cfg.scale, cfg.ratio);
  return { left: p.left, top: p.top, width: p.width, height: p.height };
}

function newTarget(cfg: TransformConfig, withMask: boolean): SampleTarget {
  const c = cfg.crop;
  return {
    image: new Float32Array(c * c * 3),
    imageOffset: 0,
    mask: withMask ? new Float32Array(c * c) : undefined,
    maskOffset: 0,
  };
}

function checkTarget(t: SampleTarget, cfg: TransformConfig): void {
  const px = cfg.crop * cfg.crop;
  if (!(Number.isInteger(t.imageOffset) && t.imageOffset >= 0 && t.imageOffset + px * 3 <= t.image.length)) {
    throw new Error(`SampleTarget: image offset ${t.imageOffset} + ${px * 3} values exceeds ${t.image.length}`);
  }
  const mo = t.maskOffset ?? 0;
  if (t.mask !== undefined && !(Number.isInteger(mo) && mo >= 0 && mo + px <= t.mask.length)) {
    throw new Error(`SampleTarget: mask offset ${mo} + ${px} values exceeds ${t.mask.length}`);
  }
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

/** to_tensor of a mask byte: float32(v / 255). */
const MASK_UNIT = Float32Array.from({ length: 256 }, (_, v) => Math.fround(v / 255));

/**
 * Per output channel (B, G, R), byte -> float32(TO_TENSOR_X255[v] - mean): the whole per-value chain of
 * the reference (to_tensor, x255, Normalize with std 1) as one lookup. One float32 operation on float32
 * inputs, computed in double and rounded once, equals the float32 operation exactly.
 */
export interface NormalisationTables {
  b: Float32Array;
  g: Float32Array;
  r: Float32Array;
}

const normalisationCache = new Map<string, NormalisationTables>();

export function normalisationTables(meanBgr: readonly [number, number, number]): NormalisationTables {
  const key = meanBgr.join(',');
  let t = normalisationCache.get(key);
  if (!t) {
    const [mb, mg, mr] = meanBgr.map((m) => Math.fround(m));
    const table = (m: number) => Float32Array.from(TO_TENSOR_X255, (v) => v - m);
    t = { b: table(mb), g: table(mg), r: table(mr) };
    if (normalisationCache.size > 16) normalisationCache.clear();
    normalisationCache.set(key, t);
  }
  return t;
}

/** Rows of RGB bytes -> BGR floats minus the mean, written (flipped when asked) into `out` at `offset`. */
function imageRowSink(
  out: Float32Array,
  offset: number,
  width: number,
  meanBgr: readonly [number, number, number],
  flip: boolean,
): RowSink {
  const { b: tb, g: tg, r: tr } = normalisationTables(meanBgr);
  const rowLen = width * 3;
  if (!flip) {
    return (buf, s, y) => {
      for (let x = 0, d = offset + y * rowLen; x < width; x++, s += 3, d += 3) {
        out[d] = tb[buf[s + 2]];
        out[d + 1] = tg[buf[s + 1]];
        out[d + 2] = tr[buf[s]];
      }
    };
  }
  return (buf, s, y) => {
    for (let x = 0, d = offset + y * rowLen + rowLen - 3; x < width; x++, s += 3, d -= 3) {
      out[d] = tb[buf[s + 2]];
      out[d + 1] = tg[buf[s + 1]];
      out[d + 2] = tr[buf[s]];
    }
  };
}

/** Rows of mask bytes -> float32 v/255, written (flipped when asked) into `out` at `offset`. */
function maskRowSink(out: Float32Array, offset: number, width: number, flip: boolean): RowSink {
  if (!flip) {
    return (buf, s, y) => {
      for (let x = 0, d = offset + y * width; x < width; x++) out[d + x] = MASK_UNIT[buf[s + x]];
    };
  }
  return (buf, s, y) => {
    for (let x = 0, d = offset + y * width + width - 1; x < width; x++) out[d - x] = MASK_UNIT[buf[s + x]];
  };
}

/** uint8 RGB HWC -> float BGR HWC, x255 scale kept (0..255), minus the BGR mean; optional horizontal flip. */
export function toNormalisedBgr(
  rgb: Uint8Array,
  width: number,
  height: number,
  meanBgr: readonly [number, number, number],
  flip: boolean,
): Float32Array {
  if (rgb.length !== width * height * 3) {
    throw new Error(`toNormalisedBgr: ${rgb.length} bytes for ${width}x${height}x3`);
  }
  const out = new Float32Array(width * height * 3);
  const sink = imageRowSink(out, 0, width, meanBgr, flip);
  const bytes = new Uint8ClampedArray(rgb.buffer, rgb.byteOffset, rgb.length);
  for (let y = 0; y < height; y++) sink(bytes, y * width * 3, y);
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
