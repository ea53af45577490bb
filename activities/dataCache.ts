import fs from 'node:fs';
import path from 'node:path';
import type { ArtifactStore } from '../lib/store/artifactStore';
import { decodeRgb } from '../lib/data/decodeShards';
import { DecodedCache, SplitData } from '../lib/data/splitData';
import { decodeShard } from '../lib/data/shardFormat';
import type { RgbImage } from '../lib/image/types';
import type { SplitRef } from './types';

/**
 * Worker-local data: shards stream from the store into a disk cache (keys carry content digests, so
 * a cached file is never stale) and decoded splits stay in memory for the next grid cell on the same
 * data. Memory is bounded: the oldest entries go first.
 */
export class DataCache {
  private readonly memory = new Map<string, Promise<unknown>>();
  private readonly decoded = new DecodedCache();

  constructor(
    private readonly cacheDir: string,
    private readonly maxEntries = 6,
  ) {}

  get cacheDirectory(): string {
    return this.cacheDir;
  }

  async localFile(store: ArtifactStore, key: string): Promise<string> {
    const file = path.join(this.cacheDir, store.bucket, ...key.split('/'));
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await store.download(key, file);
    }
    return file;
  }

  /** A split's encoded items (decoded on use through the shared, bounded decoded-image cache). */
  split(store: ArtifactStore, ref: SplitRef): Promise<SplitData> {
    const name = `split:${store.bucket}:${ref.shardKeys.join(',')}`;
    return this.remember(name, async () => {
      const items = [];
      for (const key of ref.shardKeys)
        items.push(...decodeShard(fs.readFileSync(await this.localFile(store, key)), key));
      if (items.length !== ref.count)
        throw new Error(`split ${ref.shardKeys[0]}...: expected ${ref.count} images, shards hold ${items.length}`);
      return new SplitData(items, ref.shardKeys[0] ?? name, this.decoded);
    });
  }

  /** A background pool: one shard of pre-resized images (no masks). */
  backgrounds(store: ArtifactStore, key: string): Promise<RgbImage[]> {
    return this.remember(`bg:${store.bucket}:${key}`, async () => {
      const items = decodeShard(fs.readFileSync(await this.localFile(store, key)), key);
      return Promise.all(items.map((it) => decodeRgb(it.image, `${key}#${it.id}`)));
    });
  }

  private remember<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.memory.get(key);
    if (hit) {
      this.memory.delete(key);
      this.memory.set(key, hit); // most recently used last
      return hit as Promise<T>;
    }
    const p = load();
    p.catch(() => this.memory.delete(key));
    this.memory.set(key, p);
    while (this.memory.size > this.maxEntries) this.memory.delete(this.memory.keys().next().value as string);
    return p;
  }
}
