/**
 * The images the input benchmarks run on: the paper repository's 60 published dataset images with
 * their rembg masks (gt_masks/<dataset>/<id>_image.jpeg, <id>_mask_pred.png) and its val
 * backgrounds, decoded and resized to a short side, in a fixed order. The folder is
 * BGBIAS_BENCH_DATA, else ../shared/data beside the repository (a developer's local copy).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readGray, readRgb } from '../lib/image/decode';
import type { GrayImage, RgbImage } from '../lib/image/types';
import { resizeShorterSide } from '../lib/ml/transforms/pipeline';

const DATA = process.env.BGBIAS_BENCH_DATA ?? path.resolve(__dirname, '..', '..', 'shared', 'data');
const GT = path.join(DATA, 'gt_masks');
const BG_VAL = path.join(DATA, 'unsplash_backgrounds', 'val');

export interface PublishedImage {
  /** `<dataset>/<id>` */
  id: string;
  image: RgbImage;
  mask: GrayImage;
}

/** The published dataset images' files (originals, their real sizes), datasets and ids in order. */
export function publishedImageFiles(): string[] {
  if (!fs.existsSync(GT)) throw new Error(`${GT} is missing: the bench reads the 60 published dataset images there`);
  return fs
    .readdirSync(GT)
    .sort()
    .filter((ds) => fs.statSync(path.join(GT, ds)).isDirectory())
    .flatMap((ds) =>
      fs
        .readdirSync(path.join(GT, ds))
        .filter((f) => f.endsWith('_image.jpeg'))
        .sort()
        .map((f) => path.join(GT, ds, f)),
    );
}

export async function publishedImages(short: number): Promise<PublishedImage[]> {
  if (!fs.existsSync(GT)) throw new Error(`${GT} is missing: the bench reads the 60 published dataset images there`);
  const out: PublishedImage[] = [];
  for (const ds of fs.readdirSync(GT).sort()) {
    if (!fs.statSync(path.join(GT, ds)).isDirectory()) continue;
    const ids = fs
      .readdirSync(path.join(GT, ds))
      .filter((f) => f.endsWith('_image.jpeg'))
      .map((f) => f.slice(0, -'_image.jpeg'.length))
      .sort();
    for (const id of ids) {
      const image = resizeShorterSide(await readRgb(path.join(GT, ds, `${id}_image.jpeg`)), short, 3);
      const mask = resizeShorterSide(await readGray(path.join(GT, ds, `${id}_mask_pred.png`)), short, 1);
      out.push({ id: `${ds}/${id}`, image, mask });
    }
  }
  return out;
}

export async function valBackgrounds(short: number): Promise<RgbImage[]> {
  const out: RgbImage[] = [];
  for (const f of fs.readdirSync(BG_VAL).sort())
    out.push(resizeShorterSide(await readRgb(path.join(BG_VAL, f)), short, 3));
  return out;
}
