/** Synthetic items -> prepared-dataset shards (lib/data/shardFormat.ts): images stored as `format`, greyscale PNG masks. */
import sharp from 'sharp';
import { encodeShard, type ShardItem } from '../shardFormat';
import type { GrayImage, RgbImage } from '../../image/types';
import { encodePreparedImage, type PreparedFormat } from '../preparedImage';

export const MAX_ITEMS_PER_SHARD = 256;

export interface EncodableItem {
  id: string;
  label: number;
  image: RgbImage;
  mask: GrayImage;
}

async function encodeItem(it: EncodableItem, format: PreparedFormat): Promise<ShardItem> {
  const { image, mask } = it;
  if (image.data.length !== image.width * image.height * 3)
    throw new Error(`item ${it.id}: image data length ${image.data.length} != ${image.width}x${image.height}x3`);
  if (mask.width !== image.width || mask.height !== image.height || mask.data.length !== mask.width * mask.height) {
    throw new Error(
      `item ${it.id}: mask ${mask.width}x${mask.height} (${mask.data.length} bytes) does not match image ` +
        `${image.width}x${image.height}`,
    );
  }
  const [img, msk] = await Promise.all([
    encodePreparedImage(image, format),
    sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer(),
  ]);
  return { id: it.id, label: it.label, image: img, mask: msk };
}

/** Encodes a split into shards of at most `perShard` (<= 256) items, in item order. */
export async function encodeSyntheticSplit(
  items: readonly EncodableItem[],
  format: PreparedFormat,
  perShard = MAX_ITEMS_PER_SHARD,
): Promise<Buffer[]> {
  if (!Number.isInteger(perShard) || perShard < 1 || perShard > MAX_ITEMS_PER_SHARD) {
    throw new Error(`encodeSyntheticSplit: perShard ${perShard} must be an integer in 1..${MAX_ITEMS_PER_SHARD}`);
  }
  const shards: Buffer[] = [];
  for (let start = 0; start < items.length; start += perShard) {
    const chunk = items.slice(start, start + perShard);
    const encoded: ShardItem[] = [];
    // a few at a time: libvips uses its own threads, and other engineers share the 2 cores
    for (let k = 0; k < chunk.length; k += 8)
      encoded.push(...(await Promise.all(chunk.slice(k, k + 8).map((it) => encodeItem(it, format)))));
    shards.push(encodeShard(encoded));
  }
  return shards;
}
