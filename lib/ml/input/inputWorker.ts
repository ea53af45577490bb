/**
 * The input pool's worker thread (started by inputPool.ts): opens the split sources' shard files,
 * then prepares batches one at a time: reads and decodes the spec's items (sharp), runs
 * transformBatch (keyedBatch.ts), and sends the buffers back transferred (no copy). Every error is
 * sent back as a message naming the batch and, where it is one, the item and its shard file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RgbImage } from '../../image/types';
import { ShardFiles } from '../../data/shardFiles';
import { DecodedCache } from '../../data/splitData';
import type { TransformConfig } from '../transforms/pipeline';
import { specNeedsMasks, transformBatch, type BatchItem, type BatchSpec } from './keyedBatch';
import { sharedImageViews, type SharedImages } from './sharedImages';

export interface WorkerInit {
  transform: TransformConfig;
  sources: Record<string, readonly string[]>;
  pools: Record<string, SharedImages>;
  /** This thread's decoded-image cache (0: decode every use). */
  decodedCacheBytes: number;
}

export type ToWorker = { type: 'batch'; id: number; spec: BatchSpec; images?: ArrayBuffer; masks?: ArrayBuffer };

export type FromWorker =
  | { type: 'ready'; counts: Record<string, number> }
  | { type: 'batch'; id: number; images: ArrayBuffer; labels: ArrayBuffer; masks?: ArrayBuffer; size: number }
  | { type: 'error'; id: number; message: string };

/** What a batch is, for error messages: which spec, which sample positions. */
export function describeBatch(spec: BatchSpec): string {
  const s = spec.streams;
  const last = s.firstPosition + spec.indices.length - 1;
  return (
    `${spec.kind} batch of ${spec.source} (${s.split}, epoch ${s.epoch}, positions ${s.firstPosition}-${last}` +
    `${spec.background ? `, backgrounds ${spec.background}` : ''})`
  );
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('inputWorker.ts runs as a worker thread of lib/ml/input/inputPool.ts');
  const init = workerData as WorkerInit;
  const sources = new Map<string, ShardFiles>();
  const counts: Record<string, number> = {};
  for (const [name, files] of Object.entries(init.sources)) {
    const s = new ShardFiles(files);
    sources.set(name, s);
    counts[name] = s.length;
  }
  const pools = new Map<string, RgbImage[]>(Object.entries(init.pools).map(([k, v]) => [k, sharedImageViews(v)]));
  const cache = new DecodedCache(init.decodedCacheBytes);

  // Masks are decoded only for batches that use them; the cache keeps whole items (image and mask).
  const read = async (name: string, files: ShardFiles, i: number, withMask: boolean): Promise<BatchItem> => {
    const key = `${name}#${i}`;
    const hit = cache.get(key);
    if (hit) return hit;
    if (!withMask && init.decodedCacheBytes === 0) return files.readImage(i);
    const item = await files.read(i);
    if (init.decodedCacheBytes > 0) cache.set(key, item);
    return item;
  };

  const prepare = async (m: ToWorker): Promise<void> => {
    const { id, spec } = m;
    try {
      const files = sources.get(spec.source);
      if (!files) throw new Error(`unknown source ${spec.source} (have ${[...sources.keys()].join(', ')})`);
      const pool = spec.background === undefined ? undefined : pools.get(spec.background);
      if (spec.background !== undefined && !pool) {
        throw new Error(`unknown background pool ${spec.background} (have ${[...pools.keys()].join(', ')})`);
      }
      const withMask = specNeedsMasks(spec);
      const items = await Promise.all(spec.indices.map((i) => read(spec.source, files, i, withMask)));
      const px = init.transform.crop * init.transform.crop;
      const n = spec.indices.length;
      const images = m.images && m.images.byteLength === n * px * 12 ? new Float32Array(m.images) : undefined;
      const masks = spec.masks && m.masks && m.masks.byteLength === n * px * 4 ? new Float32Array(m.masks) : undefined;
      const b = transformBatch(spec, items, init.transform, pool, { images, masks });
      const msg: FromWorker = {
        type: 'batch',
        id,
        images: b.images.buffer as ArrayBuffer,
        labels: b.labels.buffer as ArrayBuffer,
        masks: b.masks?.buffer as ArrayBuffer | undefined,
        size: b.size,
      };
      port.postMessage(msg, [msg.images, msg.labels, ...(msg.masks ? [msg.masks] : [])]);
    } catch (e) {
      const msg: FromWorker = { type: 'error', id, message: `${describeBatch(spec)}: ${(e as Error).message}` };
      port.postMessage(msg);
    }
  };

  // One batch at a time: a thread's memory is one batch plus its cache, whatever the queue holds.
  let chain = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    chain = chain.then(() => prepare(m));
  });
  port.postMessage({ type: 'ready', counts } satisfies FromWorker);
}

main();
