/**
 * The mask stage: a u2net soft mask for every listed image, computed on the ORIGINAL image (as the
 * reference ran `rembg p -om` on the extracted datasets), written as an 8-bit greyscale PNG at the
 * image's size into a parallel tree: <maskDir>/<image path with .png>. Resumable: masks that exist
 * are skipped; each PNG is written to a temporary name and renamed, so a file that exists is whole.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { GrayImage, RgbImage } from '../../image/types';
import { readRgb } from '../../image/decode';

export interface Masker {
  predict(images: readonly RgbImage[]): Promise<GrayImage[]>;
}

export type UnreadablePolicy = 'fail' | 'skip';

export interface ComputeMasksOptions {
  /** Folder the image paths are relative to. */
  root: string;
  images: readonly string[];
  maskDir: string;
  masker: Masker;
  batchSize?: number;
  unreadable?: UnreadablePolicy;
  onProgress?: (p: { done: number; total: number; computed: number; existing: number; skipped: number }) => void;
}

export interface ComputeMasksResult {
  computed: number;
  existing: number;
  skipped: { path: string; reason: string }[];
}

export function maskPathFor(maskDir: string, imagePath: string): string {
  return join(maskDir, imagePath.replace(/\.[^./]+$/, '') + '.png');
}

export async function writeGrayPng(path: string, mask: GrayImage): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await sharp(Buffer.from(mask.data.buffer, mask.data.byteOffset, mask.data.length), {
    raw: { width: mask.width, height: mask.height, channels: 1 },
  })
    .toColourspace('b-w')
    .png()
    .toFile(tmp);
  await fsp.rename(tmp, path);
}

export async function computeMasks(opts: ComputeMasksOptions): Promise<ComputeMasksResult> {
  const batchSize = opts.batchSize ?? 8;
  const res: ComputeMasksResult = { computed: 0, existing: 0, skipped: [] };
  const total = opts.images.length;
  let done = 0;
  const report = () =>
    opts.onProgress?.({ done, total, computed: res.computed, existing: res.existing, skipped: res.skipped.length });
  for (let s = 0; s < total; s += batchSize) {
    const batch: { path: string; out: string; img: RgbImage }[] = [];
    for (const path of opts.images.slice(s, s + batchSize)) {
      const out = maskPathFor(opts.maskDir, path);
      if (
        await fsp.stat(out).then(
          () => true,
          () => false,
        )
      ) {
        res.existing++;
        done++;
        continue;
      }
      try {
        batch.push({ path, out, img: await readRgb(join(opts.root, path)) });
      } catch (e) {
        if (opts.unreadable !== 'skip') throw e;
        res.skipped.push({ path, reason: (e as Error).message });
        done++;
      }
    }
    if (batch.length > 0) {
      const masks = await opts.masker.predict(batch.map((b) => b.img));
      for (let k = 0; k < batch.length; k++) await writeGrayPng(batch[k].out, masks[k]);
      res.computed += batch.length;
      done += batch.length;
    }
    report();
  }
  return res;
}
