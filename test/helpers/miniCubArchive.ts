/**
 * A miniature CUB_200_2011.tgz in the real archive layout (CUB_200_2011/images/<NNN.Name>/<file>.jpg,
 * all 200 class folders so the protocol's label ranges 0-74 / 75-99 / 100-199 apply), made at test
 * time: `richClasses` classes at the start of each split get `imagesPerRichClass` images (what a
 * rehearsal's cut keeps), every other class one image. Each image is seeded noise with a brighter
 * rectangle (an "object") at a seeded place. Deterministic: the same arguments give the same bytes
 * (fixed tar mtimes, seeded pixels), so the md5 is stable.
 *
 * The committed miniature (scripts/fixtures/gen_mini_datasets.py) has one or two images per class:
 * too few for an M-per-class sampler batch or a retrieval metric, which the rehearsal test needs.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tar from 'tar';
import { Rng } from '../../lib/util/rng';

export interface MiniCub {
  path: string;
  md5: string;
  /** Counts for the sources override file (activities/realDataset/sources.ts). */
  expected: { images: number; classes: number; test: number; testClasses: number };
}

const SPLIT_STARTS = [0, 75, 100];

async function noiseJpeg(rng: Rng, width: number, height: number): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  const [ox, oy] = [Math.floor(rng.uniform() * width * 0.4), Math.floor(rng.uniform() * height * 0.4)];
  const [ow, oh] = [Math.floor(width * 0.5), Math.floor(height * 0.5)];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const inside = x >= ox && x < ox + ow && y >= oy && y < oy + oh;
      for (let c = 0; c < 3; c++)
        px[(y * width + x) * 3 + c] = Math.floor((inside ? 128 : 0) + rng.uniform() * (inside ? 127 : 128));
    }
  return sharp(px, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

export async function writeMiniCubArchive(
  dir: string,
  o: { richClasses: number; imagesPerRichClass: number; seed?: string },
): Promise<MiniCub> {
  const rng = Rng.fromSeed(o.seed ?? 'mini-cub');
  const work = join(dir, 'cub-work');
  await rm(work, { recursive: true, force: true });
  let images = 0;
  let test = 0;
  for (let label = 0; label < 200; label++) {
    const folder = `${String(label + 1).padStart(3, '0')}.Class_${label + 1}`;
    const classDir = join(work, 'CUB_200_2011', 'images', folder);
    await mkdir(classDir, { recursive: true });
    const rich = SPLIT_STARTS.some((s) => label >= s && label < s + o.richClasses);
    const n = rich ? o.imagesPerRichClass : 1;
    for (let i = 0; i < n; i++) {
      const [w, h] = [40 + Math.floor(rng.uniform() * 24), 32 + Math.floor(rng.uniform() * 24)];
      await writeFile(
        join(classDir, `Class_${label + 1}_${String(i).padStart(4, '0')}.jpg`),
        await noiseJpeg(rng, w, h),
      );
    }
    images += n;
    if (label >= 100) test += n;
  }
  const path = join(dir, 'CUB_200_2011.tgz');
  await tar.create({ gzip: true, file: path, cwd: work, portable: true, mtime: new Date(1_300_000_000_000) }, [
    'CUB_200_2011',
  ]);
  await rm(work, { recursive: true, force: true });
  const md5 = createHash('md5').update(readFileSync(path)).digest('hex');
  return { path, md5, expected: { images, classes: 200, test, testClasses: 100 } };
}
