/**
 * Prepared shards: index -> (masks computed beforehand by the mask stage) -> images and masks
 * resized so the short side is 256 -> shards of a few hundred items -> index JSON.
 *
 * The resize is docs/protocol.md section 4's first transform step, torchvision Resize(256) on PIL images
 * (bilinear, antialiased), done here with PIL's exact arithmetic for image and mask alike. Workers
 * that apply Resize(256) again get the identity (same size), so the prepared data differs from the
 * reference's pipeline (which decodes the original file at every access) only by the decoder of the
 * original (libvips' libjpeg-turbo, not PIL's) and by how the resized image is stored
 * (`format`: JPEG q95 4:2:0 or 4:4:4, or lossless PNG; lib/data/preparedImage.ts); the mask is always
 * lossless PNG. docs/prepared-images.md measures both deviations.
 * Files are written into `outDir`; the caller uploads them to the store.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { encodeShard, ShardItem } from './shardFormat';
import { DatasetIndex, IndexItem, SPLIT_NAMES, SplitName } from './datasets/types';
import { maskPathFor, UnreadablePolicy } from './masks/computeMasks';
import { pilResize } from '../image/pilResize';
import { resizedSize } from '../image/resizedSize';
import { readGray, readRgb } from '../image/decode';
import { encodePreparedImage, type PreparedFormat } from './preparedImage';
import type { GrayImage, RgbImage } from '../image/types';

export interface PrepareOptions {
  index: DatasetIndex;
  /** Folder the index's image paths are relative to. */
  root: string;
  /** Where the mask stage wrote the masks (maskPathFor layout). */
  maskDir?: string;
  /** Use the dataset's official masks (IndexItem.officialMask, relative to root) instead. */
  useOfficialMasks?: boolean;
  /** Where maskDir's masks came from, as index.json records it (default u2net): 'folder' = the user's own. */
  maskDirSource?: 'u2net' | 'folder';
  outDir: string;
  shardSize?: number;
  shortSide?: number;
  /** How the resized image is stored (lib/data/preparedImage.ts; docs/prepared-images.md). */
  format: PreparedFormat;
  unreadable?: UnreadablePolicy;
  onProgress?: (p: { split: SplitName; done: number; total: number }) => void;
}

export interface PreparedShard {
  split: SplitName;
  file: string;
  items: number;
  bytes: number;
  sha256: string;
}

export interface PreparedIndex {
  dataset: string;
  numTrainClasses: number;
  shortSide: number;
  format: PreparedFormat;
  maskSource: 'u2net' | 'official' | 'folder';
  shards: PreparedShard[];
  counts: Record<SplitName, number>;
  skipped: { path: string; reason: string }[];
}

export interface PreparedDataset extends PreparedIndex {
  /** Path of index.json in outDir (written last: its presence means the shards are complete). */
  indexFile: string;
}

/**
 * One decoded image and its mask -> the stored pair: both resized to `shortSide` (PIL-exact
 * bilinear), the image encoded as `format`, the mask as 8-bit greyscale PNG. Exported for the
 * deviation measurement (scripts/fidelity/preparedDeviation.ts), which must run this exact code.
 */
export async function encodePreparedPair(
  img: RgbImage,
  mask: GrayImage,
  shortSide: number,
  format: PreparedFormat,
): Promise<{ image: Buffer; mask: Buffer }> {
  const { width: w, height: h } = resizedSize(img.width, img.height, shortSide);
  const rImg = pilResize(img, 3, w, h, 'bilinear');
  const rMask = pilResize(mask, 1, w, h, 'bilinear');
  const image = await encodePreparedImage({ width: w, height: h, data: rImg }, format);
  const maskPng = await sharp(Buffer.from(rMask.buffer, rMask.byteOffset, rMask.length), {
    raw: { width: w, height: h, channels: 1 },
  })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  return { image, mask: maskPng };
}

async function prepareItem(
  item: IndexItem,
  opts: PrepareOptions,
  shortSide: number,
  format: PreparedFormat,
): Promise<ShardItem> {
  const imagePath = join(opts.root, item.path);
  let maskPath: string;
  if (opts.useOfficialMasks) {
    if (!item.officialMask) throw new Error(`no official mask for ${imagePath}`);
    maskPath = join(opts.root, item.officialMask);
  } else {
    if (!opts.maskDir) throw new Error('prepareDataset: maskDir is required unless useOfficialMasks is set');
    maskPath = maskPathFor(opts.maskDir, item.path);
  }
  const img = await readRgb(imagePath);
  let mask;
  try {
    mask = await readGray(maskPath);
  } catch (e) {
    throw new Error(`mask of ${imagePath}: ${(e as Error).message}`, { cause: e });
  }
  if (mask.width !== img.width || mask.height !== img.height) {
    throw new Error(
      `mask ${maskPath} is ${mask.width}x${mask.height} but image ${imagePath} is ${img.width}x${img.height}`,
    );
  }
  const pair = await encodePreparedPair(img, mask, shortSide, format);
  return { id: item.path, label: item.label, image: pair.image, mask: pair.mask };
}

async function writeShard(outDir: string, split: SplitName, n: number, items: ShardItem[]): Promise<PreparedShard> {
  const buf = encodeShard(items);
  const file = `${split}-${String(n).padStart(5, '0')}.bgsh`;
  const tmp = join(outDir, `${file}.tmp`);
  await fsp.writeFile(tmp, buf);
  await fsp.rename(tmp, join(outDir, file));
  return {
    split,
    file,
    items: items.length,
    bytes: buf.length,
    sha256: createHash('sha256').update(buf).digest('hex'),
  };
}

export async function prepareDataset(opts: PrepareOptions): Promise<PreparedDataset> {
  const shardSize = opts.shardSize ?? 256;
  const shortSide = opts.shortSide ?? 256;
  const format = opts.format;
  await fsp.mkdir(opts.outDir, { recursive: true });
  const shards: PreparedShard[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const counts = { train: 0, val: 0, test: 0 } as Record<SplitName, number>;
  for (const split of SPLIT_NAMES) {
    const items = opts.index.splits[split];
    let pending: ShardItem[] = [];
    let n = 0;
    for (let i = 0; i < items.length; i++) {
      try {
        pending.push(await prepareItem(items[i], opts, shortSide, format));
        counts[split]++;
      } catch (e) {
        if (opts.unreadable !== 'skip')
          throw new Error(`${opts.index.dataset} ${split}: ${(e as Error).message}`, { cause: e });
        skipped.push({ path: items[i].path, reason: (e as Error).message });
      }
      if (pending.length === shardSize) {
        shards.push(await writeShard(opts.outDir, split, n++, pending));
        pending = [];
      }
      opts.onProgress?.({ split, done: i + 1, total: items.length });
    }
    if (pending.length > 0) shards.push(await writeShard(opts.outDir, split, n, pending));
  }
  const prepared: PreparedIndex = {
    dataset: opts.index.dataset,
    numTrainClasses: opts.index.numTrainClasses,
    shortSide,
    format,
    maskSource: opts.useOfficialMasks ? 'official' : (opts.maskDirSource ?? 'u2net'),
    shards,
    counts,
    skipped,
  };
  const indexFile = join(opts.outDir, 'index.json');
  await fsp.writeFile(`${indexFile}.tmp`, JSON.stringify(prepared, null, 1));
  await fsp.rename(`${indexFile}.tmp`, indexFile);
  return { ...prepared, indexFile };
}
