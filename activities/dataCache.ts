import fs from 'node:fs';
import path from 'node:path';
import type { ArtifactStore } from '../lib/store/artifactStore';
import { checkBytes } from '../lib/store/integrity';
import { IntegrityError } from '../contracts/errors';
import { MANIFEST_NAME, readManifest, type Manifest } from '../lib/store/stageOutput';
import { decodeRgb } from '../lib/data/decodeShards';
import { DecodedCache, SplitData } from '../lib/data/splitData';
import { decodeShard } from '../lib/data/shardFormat';
import type { RgbImage } from '../lib/image/types';
import { backendInfo } from '../lib/ml/backend';
import { InputPool } from '../lib/ml/input/inputPool';
import { defaultPoolSize } from '../lib/ml/input/poolSize';
import type { TransformConfig } from '../lib/ml/transforms/pipeline';
import type { SplitRef } from './types';

/** What an activity's input pool reads: splits by source name, background pools by name (their shard keys). */
export interface InputPoolRequest {
  transform: TransformConfig;
  sources: Record<string, SplitRef>;
  backgrounds?: Record<string, string>;
}

/**
 * Worker-local data: shards stream from the store into a disk cache (keys carry content digests, so
 * a cached file is never stale) and decoded splits stay in memory for the next grid cell on the same
 * data. Memory is bounded: the oldest entries go first.
 */
export class DataCache {
  private readonly memory = new Map<string, Promise<unknown>>();
  private readonly decoded = new DecodedCache();
  /** Verified manifests by stage prefix: a split's shards share one. */
  private readonly manifests = new Map<string, Promise<Manifest | undefined>>();

  /**
   * @param input the input pool's size for every activity of this worker (default: poolSize.ts's
   *   defaultPoolSize() of `cores` and TensorFlow's CPU threads); results never depend on it.
   */
  constructor(
    private readonly cacheDir: string,
    private readonly maxEntries = 6,
    private readonly input: { size?: number; cores?: number } = {},
  ) {}

  /** Threads of the next input pool: the set size, else the cores TensorFlow leaves (0 TensorFlow threads on a GPU). */
  get inputWorkers(): number {
    if (this.input.size !== undefined) return this.input.size;
    const tf = backendInfo();
    return defaultPoolSize({
      cores: this.input.cores,
      tensorflowThreads: tf?.device === 'gpu' ? 0 : (tf?.threads ?? 1),
    });
  }

  get cacheDirectory(): string {
    return this.cacheDir;
  }

  /**
   * The local copy of a stage file, downloaded once and checked against the sha256 its stage's
   * (verified) manifest lists before it is kept: a damaged object is an IntegrityError naming it,
   * and nothing is left on disk. An object outside any stage (an audited model's files, stored under
   * the digest of their bytes) is checked against the `expected` digest its caller recorded instead.
   */
  async localFile(store: ArtifactStore, key: string, expected?: { sha256: string; size: number }): Promise<string> {
    const file = path.join(this.cacheDir, store.bucket, ...key.split('/'));
    if (!fs.existsSync(file)) {
      const entry = expected ?? (await this.manifestEntry(store, key));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const unverified = `${file}.unverified`;
      try {
        await store.download(key, unverified);
        checkBytes(fs.readFileSync(unverified), `s3://${store.bucket}/${key}`, entry);
        fs.renameSync(unverified, file);
      } catch (err) {
        // The stage may have been recomputed since its manifest was read here: read it again next time.
        this.manifests.delete(`${store.bucket}:${stagePrefixOf(key)}`);
        throw err;
      } finally {
        fs.rmSync(unverified, { force: true });
      }
    }
    return file;
  }

  private async manifestEntry(store: ArtifactStore, key: string): Promise<{ sha256: string; size: number }> {
    const prefix = stagePrefixOf(key);
    const name = `${store.bucket}:${prefix}`;
    let manifest = this.manifests.get(name);
    if (!manifest) {
      manifest = readManifest(store, prefix);
      manifest.catch(() => this.manifests.delete(name));
      this.manifests.set(name, manifest);
      // Bounded: a long-lived worker meets many stages over its life.
      while (this.manifests.size > 32) this.manifests.delete(this.manifests.keys().next().value as string);
    }
    const entry = (await manifest)?.files.find((f) => f.key === key);
    if (!entry)
      throw new IntegrityError(
        `s3://${store.bucket}/${key}`,
        'manifest entry',
        `a file of ${prefix}/${MANIFEST_NAME}`,
        'not listed there',
      );
    return entry;
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

  /** A split's shard files in the local cache, in split order (downloaded when missing). */
  async shardFiles(store: ArtifactStore, ref: SplitRef): Promise<string[]> {
    const files: string[] = [];
    for (const key of ref.shardKeys) files.push(await this.localFile(store, key));
    return files;
  }

  /**
   * An input pool (lib/ml/input/inputPool.ts) over the requested splits' local shard files: the
   * threads read items on demand, so a split is never read or decoded whole. The caller closes it.
   */
  async inputPool(store: ArtifactStore, r: InputPoolRequest): Promise<InputPool> {
    const sources: Record<string, string[]> = {};
    for (const [name, ref] of Object.entries(r.sources)) sources[name] = await this.shardFiles(store, ref);
    const backgrounds: Record<string, RgbImage[]> = {};
    for (const [name, key] of Object.entries(r.backgrounds ?? {}))
      backgrounds[name] = await this.backgrounds(store, key);
    const pool = await InputPool.start({ transform: r.transform, sources, backgrounds, size: this.inputWorkers });
    for (const [name, ref] of Object.entries(r.sources)) {
      const n = pool.source(name).length;
      if (n !== ref.count) {
        await pool.close();
        throw new Error(`split ${ref.shardKeys[0]}...: expected ${ref.count} images, shards hold ${n}`);
      }
    }
    return pool;
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

/** `<experiment>/<stage>/<digest>` of a stage file's key. */
const stagePrefixOf = (key: string) => key.split('/').slice(0, 3).join('/');
