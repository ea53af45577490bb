/**
 * One swapped background for an eval item (docs/protocol.md section 5, as lib/ml/train/batches.ts
 * evalBatch): a pool image drawn uniformly, then the train transform's geometry (shorter side to
 * `resizeShort`, RandomResizedCrop to `size`, horizontal flip with p = 0.5), in the model's channel
 * space. The draw order is evalBatch's (pick, crop, flip), so with the same generator state the pixels
 * are evalBatch's. Returns the draw so it can be recorded and replayed.
 */
import type { RgbImage } from '../image/types';
import { pilResizeBox } from '../image/pilResize';
import { resizeShorterSide } from '../ml/transforms/pipeline';
import { randomResizedCropParams, type CropParams, type TransformRng } from '../ml/transforms/randomResizedCrop';
import { toModelSpace, type InputConvention } from './inputConvention';

/** RandomResizedCrop's ranges for backgrounds (the experiment's transform.scale / transform.ratio). */
export interface CropRanges {
  scale: [number, number];
  ratio: [number, number];
}

export interface BackgroundDraw {
  /** Index into the background pool. */
  pool: number;
  /** The crop box in the pool image after its shorter side was resized to resizeShort. */
  crop: CropParams;
  flip: boolean;
}

export function drawBackground(
  pool: readonly RgbImage[],
  conv: InputConvention,
  ranges: CropRanges,
  rng: TransformRng,
): { image: Float32Array; draw: BackgroundDraw } {
  if (pool.length === 0) throw new Error('drawBackground: the background pool is empty');
  // Rng.pick's rule, so the draw sequence is evalBatch's.
  const index = Math.floor(rng.uniform() * pool.length);
  const resized = resizeShorterSide(pool[index], conv.resizeShort, 3);
  const crop = randomResizedCropParams(resized.width, resized.height, rng, ranges.scale, ranges.ratio);
  // The reference flips when np.random.rand() > 0.5.
  const flip = rng.uniform() > 0.5;
  const draw = { pool: index, crop, flip };
  return { image: renderBackground(resized, conv, draw), draw };
}

/** The pixels of a recorded draw (the pool must be the one drawn from). */
export function replayBackground(pool: readonly RgbImage[], conv: InputConvention, draw: BackgroundDraw): Float32Array {
  const bg = pool[draw.pool];
  if (!bg) throw new Error(`replayBackground: no pool image ${draw.pool} (pool has ${pool.length})`);
  return renderBackground(resizeShorterSide(bg, conv.resizeShort, 3), conv, draw);
}

function renderBackground(resized: RgbImage, conv: InputConvention, draw: BackgroundDraw): Float32Array {
  const s = conv.size;
  const pixels = pilResizeBox(resized.data, resized.width, resized.height, 3, draw.crop, s, s);
  return toModelSpace(draw.flip ? flipRows(pixels, s, s) : pixels, conv);
}

function flipRows(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + width - 1 - x) * 3;
      const o = (y * width + x) * 3;
      out[o] = rgb[s];
      out[o + 1] = rgb[s + 1];
      out[o + 2] = rgb[s + 2];
    }
  }
  return out;
}
