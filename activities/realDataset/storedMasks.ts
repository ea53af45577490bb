/**
 * The u2net mask step with two levels of resume:
 *  - the worker's cache folder keeps every finished mask (lib computeMasks skips existing ones), so a
 *    retried attempt on the same machine continues where it stopped;
 *  - every `partSize` images the masks are packed into one part in the store
 *    (`masks/<dataset>/<maskDigest>/part-NNNNN.bgsh`, shard format with empty images), so a retry on
 *    another machine, or another experiment on the same archives and model, restores them instead
 *    of recomputing (hours for SOP on CPUs).
 * The parts live outside any experiment: the masks depend only on the archives and the model.
 */
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import type { ArtifactStore } from '../../lib/store/artifactStore';
import { computeMasks, maskPathFor, type Masker, type UnreadablePolicy } from '../../lib/data/masks/computeMasks';
import { decodeShard, encodeShard, type ShardItem } from '../../lib/data/shardFormat';

export interface StoredMasksOptions {
  store: ArtifactStore;
  /** `masks/<dataset>/<maskDigest>` */
  prefix: string;
  root: string;
  /** Every image path (relative to root), in a fixed order: parts are contiguous slices of it. */
  images: readonly string[];
  maskDir: string;
  /** Loaded only when some mask has to be computed. */
  masker: () => Promise<Masker>;
  partSize: number;
  batchSize?: number;
  unreadable?: UnreadablePolicy;
  onProgress?: (p: { done: number; total: number; computed: number; restored: number }) => void;
}

export interface StoredMasksResult {
  computed: number;
  /** Masks unpacked from parts in the store. */
  restored: number;
  /** Masks already in the worker's cache folder. */
  existing: number;
  skipped: { path: string; reason: string }[];
}

const exists = (p: string) =>
  fsp.stat(p).then(
    () => true,
    () => false,
  );

export function maskPartKey(prefix: string, part: number): string {
  return `${prefix}/part-${String(part).padStart(5, '0')}.bgsh`;
}

async function writeAtomically(path: string, data: Buffer): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await fsp.writeFile(tmp, data);
  await fsp.rename(tmp, path);
}

/** One part's images: the contiguous slice `part` of the fixed image order. */
export function partImages(images: readonly string[], partSize: number, part: number): readonly string[] {
  return images.slice(part * partSize, (part + 1) * partSize);
}

/** Parts of `count` images at `partSize` per part. */
export const partCount = (count: number, partSize: number) => Math.ceil(count / partSize);

export type StoredPartOptions = Omit<StoredMasksOptions, 'onProgress'> & {
  onProgress?: (p: { done: number; total: number; computed: number }) => void;
};

export interface StoredPartResult extends StoredMasksResult {
  key: string;
  /** Whether the part was already in the store (nothing computed, nothing uploaded). */
  stored: boolean;
}

/**
 * One part: restored into the cache folder when it is in the store (only the masks missing there),
 * else computed (resuming from the masks the cache folder has), packed and uploaded. The part is
 * written whole by one PUT, so a part that exists is complete; two workers computing the same part
 * write the same masks.
 */
export async function ensureStoredPart(
  o: StoredPartOptions,
  part: number,
  inStore: boolean,
): Promise<StoredPartResult> {
  const slice = partImages(o.images, o.partSize, part);
  const key = maskPartKey(o.prefix, part);
  const res: StoredPartResult = { key, stored: inStore, computed: 0, restored: 0, existing: 0, skipped: [] };
  const missing = [];
  for (const p of slice) if (!(await exists(maskPathFor(o.maskDir, p)))) missing.push(p);
  if (inStore) {
    if (missing.length > 0) {
      const items = decodeShard(await o.store.getBuffer(key), key);
      const want = new Set(missing);
      for (const it of items) {
        if (!want.has(it.id)) continue;
        await writeAtomically(maskPathFor(o.maskDir, it.id), it.mask);
        res.restored++;
      }
    }
    res.existing = slice.length - missing.length;
    return res;
  }
  const r = await computeMasks({
    root: o.root,
    images: slice,
    maskDir: o.maskDir,
    masker: await o.masker(),
    batchSize: o.batchSize,
    unreadable: o.unreadable,
    onProgress: (p) => o.onProgress?.({ done: p.done, total: slice.length, computed: p.computed }),
  });
  res.computed = r.computed;
  res.existing = r.existing;
  res.skipped = r.skipped;
  // Pack the slice's masks (an unreadable, skipped image has none) and store the part.
  const items: ShardItem[] = [];
  for (const p of slice) {
    const file = maskPathFor(o.maskDir, p);
    if (await exists(file)) items.push({ id: p, label: 0, image: Buffer.alloc(0), mask: await fsp.readFile(file) });
  }
  await o.store.putBuffer(key, encodeShard(items));
  return res;
}

/**
 * Every part in turn (the mask-part activities normally stored them all already, so this restores):
 * the masks of all images in the cache folder.
 */
export async function computeStoredMasks(o: StoredMasksOptions): Promise<StoredMasksResult> {
  const res: StoredMasksResult = { computed: 0, restored: 0, existing: 0, skipped: [] };
  const inStore = new Set(await o.store.list(`${o.prefix}/`));
  let masker: Masker | undefined;
  const loadMasker = async () => (masker ??= await o.masker());
  const total = o.images.length;
  let done = 0;
  for (let part = 0; part < partCount(total, o.partSize); part++) {
    const r = await ensureStoredPart(
      {
        ...o,
        masker: loadMasker,
        onProgress: (p) =>
          o.onProgress?.({ done: done + p.done, total, computed: res.computed + p.computed, restored: res.restored }),
      },
      part,
      inStore.has(maskPartKey(o.prefix, part)),
    );
    res.computed += r.computed;
    res.restored += r.restored;
    res.existing += r.existing;
    res.skipped.push(...r.skipped);
    done += partImages(o.images, o.partSize, part).length;
    o.onProgress?.({ done, total, computed: res.computed, restored: res.restored });
  }
  return res;
}
