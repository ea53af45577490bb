import { decodeGray, decodeRgb, type DecodedItem } from './decodeShards';
import { decodeShard, type ShardItem } from './shardFormat';

/**
 * Decoded images, least recently used first out, bounded by bytes. A whole prepared split does not
 * fit in memory for the paper's datasets (SOP's 60k images decode to ~15 GB at 256 px), so images
 * stay encoded and are decoded on use; small splits (the smoke preset) end up fully cached.
 */
export class DecodedCache {
  private readonly entries = new Map<string, DecodedItem>();
  private bytes = 0;

  constructor(readonly maxBytes = 2 * 1024 ** 3) {}

  get(key: string): DecodedItem | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, item: DecodedItem): void {
    if (this.entries.has(key)) return;
    this.entries.set(key, item);
    this.bytes += item.image.data.length + item.mask.data.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.image.data.length + v.mask.data.length;
    }
  }
}

/** One split of a prepared dataset: encoded items in split order, decoded on demand. */
export class SplitData {
  readonly labels: Int32Array;

  constructor(
    private readonly items: readonly ShardItem[],
    private readonly source: string,
    private readonly cache: DecodedCache,
  ) {
    this.labels = Int32Array.from(items, (it) => it.label);
  }

  get length(): number {
    return this.items.length;
  }

  id(i: number): string {
    return this.items[i].id;
  }

  async get(i: number): Promise<DecodedItem> {
    const it = this.items[i];
    if (!it) throw new Error(`${this.source}: no item ${i} (split has ${this.items.length})`);
    const key = `${this.source}#${i}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const where = `${this.source}#${it.id}`;
    const [image, mask] = await Promise.all([decodeRgb(it.image, where), decodeGray(it.mask, `${where} (mask)`)]);
    if (image.width !== mask.width || image.height !== mask.height) {
      throw new Error(`${where}: mask is ${mask.width}x${mask.height} but the image is ${image.width}x${image.height}`);
    }
    const item: DecodedItem = { id: it.id, label: it.label, image, mask };
    this.cache.set(key, item);
    return item;
  }

  /** Several items, decoded concurrently (libvips uses its own threads). */
  getMany(indices: readonly number[]): Promise<DecodedItem[]> {
    return Promise.all(indices.map((i) => this.get(i)));
  }
}

/** Decodes every item of the given shard buffers, checking that each mask matches its image's size. */
export async function decodeShardItems(shards: Array<{ key: string; data: Buffer }>): Promise<DecodedItem[]> {
  const out: DecodedItem[] = [];
  for (const shard of shards) {
    const split = new SplitData(decodeShard(shard.data, shard.key), shard.key, new DecodedCache(0));
    out.push(...(await split.getMany(Array.from({ length: split.length }, (_, i) => i))));
  }
  return out;
}
