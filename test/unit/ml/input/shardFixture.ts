/** Small prepared shards on disk for the input-pool tests: JPEG images with PNG soft masks, in two files. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../../../lib/image/types';
import { encodeShard, type ShardItem } from '../../../../lib/data/shardFormat';
import { Rng } from '../../../../lib/util/rng';
import type { TransformConfig } from '../../../../lib/ml/transforms/pipeline';

/** A small config (the paper's is 256 / 227) so each test batch takes milliseconds. */
export const SMALL: TransformConfig = {
  resizeShort: 40,
  crop: 32,
  scale: [0.16, 1],
  ratio: [0.75, 1.33],
  mean: [104, 117, 128],
};

/** Textured pixels (so crops and flips change the values), a different pattern per seed. */
export function texture(width: number, height: number, channels: 1 | 3, seed: number): Uint8Array {
  const rng = Rng.fromSeed(`texture/${seed}`);
  const a = new Uint8Array(width * height * channels);
  const fx = 0.1 + rng.uniform() * 0.5;
  const fy = 0.1 + rng.uniform() * 0.5;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++)
        a[(y * width + x) * channels + c] = Math.floor(127.5 + 127 * Math.sin(x * fx + y * fy + c * 2 + seed));
  return a;
}

export async function encodeItem(
  id: string,
  label: number,
  width: number,
  height: number,
  seed: number,
): Promise<ShardItem> {
  const image = await sharp(Buffer.from(texture(width, height, 3, seed)), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
  const mask = await sharp(Buffer.from(texture(width, height, 1, seed + 1000)), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  return { id, label, image, mask };
}

export interface ShardFixture {
  dir: string;
  files: string[];
  count: number;
  backgrounds: RgbImage[];
  cleanup(): void;
}

/** `count` items of sizes around the short side 40 (some already 40, some larger), over two shard files. */
export async function makeShards(count = 24): Promise<ShardFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-pool-test-'));
  const items: ShardItem[] = [];
  for (let i = 0; i < count; i++) {
    const [w, h] = i % 3 === 0 ? [40, 40 + (i % 7) * 3] : [44 + (i % 5) * 4, 40 + (i % 4) * 6];
    items.push(await encodeItem(`img-${i}.jpg`, i % 4, w, h, i));
  }
  const half = Math.ceil(count / 2);
  const files = [path.join(dir, 'train-00000.bgsh'), path.join(dir, 'train-00001.bgsh')];
  fs.writeFileSync(files[0], encodeShard(items.slice(0, half)));
  fs.writeFileSync(files[1], encodeShard(items.slice(half)));
  const backgrounds = Array.from({ length: 5 }, (_, k) => {
    const [width, height] = [40 + k * 6, 40];
    return { width, height, data: texture(width, height, 3, 500 + k) };
  });
  return { dir, files, count, backgrounds, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
