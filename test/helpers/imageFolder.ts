import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../lib/util/rng';

export interface ImageFolderOptions {
  classes: number;
  imagesPerClass: number;
  width: number;
  height: number;
  seed?: number;
}

export interface WrittenImageFolder {
  images: string;
  masks: string;
  /** Relative image paths, sorted. */
  files: string[];
  classNames: string[];
}

/** `class-00`, `class-01`, ... and one name with a space and a non-ASCII letter (names are not keys). */
export const folderClassName = (c: number) => (c === 1 ? 'red shoes ü' : `class-${String(c).padStart(2, '0')}`);

/**
 * A small ImageFolder of generated photos and a parallel masks folder: in each image a rectangle of
 * its class's colour (the object, mask 255) on a noisy background of random colour (mask 0), so the
 * object identifies the class and the background does not. Even images are JPEG, odd ones PNG.
 */
export async function writeImageFolder(dir: string, o: ImageFolderOptions): Promise<WrittenImageFolder> {
  const rng = Rng.fromSeed(o.seed ?? 1);
  const images = join(dir, 'images');
  const masks = join(dir, 'masks');
  const files: string[] = [];
  const classNames: string[] = [];
  for (let c = 0; c < o.classes; c++) {
    const name = folderClassName(c);
    classNames.push(name);
    const colour = [(c * 67) % 256, (c * 131 + 40) % 256, (c * 29 + 90) % 256];
    for (let i = 0; i < o.imagesPerClass; i++) {
      const rgb = Buffer.alloc(o.width * o.height * 3);
      const mask = Buffer.alloc(o.width * o.height);
      const bg = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
      const [x0, y0] = [rng.int(2, Math.floor(o.width / 3)), rng.int(2, Math.floor(o.height / 3))];
      const [x1, y1] = [x0 + Math.floor(o.width / 2), y0 + Math.floor(o.height / 2)];
      for (let y = 0; y < o.height; y++)
        for (let x = 0; x < o.width; x++) {
          const inside = x >= x0 && x < x1 && y >= y0 && y < y1;
          const p = y * o.width + x;
          mask[p] = inside ? 255 : 0;
          for (let k = 0; k < 3; k++)
            rgb[3 * p + k] = inside ? colour[k] : Math.max(0, Math.min(255, bg[k] + rng.int(-30, 30)));
        }
      const ext = i % 2 === 0 ? 'jpg' : 'png';
      const rel = `${name}/img-${i}.${ext}`;
      const raw = { raw: { width: o.width, height: o.height, channels: 3 as const } };
      const encoded = ext === 'jpg' ? sharp(rgb, raw).jpeg({ quality: 95 }) : sharp(rgb, raw).png();
      mkdirSync(join(images, name), { recursive: true });
      writeFileSync(join(images, rel), await encoded.toBuffer());
      const maskFile = join(masks, rel.replace(/\.[a-z]+$/, '.png'));
      mkdirSync(dirname(maskFile), { recursive: true });
      writeFileSync(
        maskFile,
        await sharp(mask, { raw: { width: o.width, height: o.height, channels: 1 } })
          .toColourspace('b-w')
          .png()
          .toBuffer(),
      );
      files.push(rel);
    }
  }
  return { images, masks, files: files.sort(), classNames };
}
