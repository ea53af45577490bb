/**
 * The parallel input pipeline: worker threads (inputWorker.ts) that read items from local shard
 * files, decode them and run the transforms (keyedBatch.ts's transformBatch), so the thread that
 * drives TensorFlow only turns finished batches into tensors while the next ones are being prepared.
 *
 *   const pool = await InputPool.start({ transform, sources: { train: files, val: files },
 *                                        backgrounds: { val: valPool } });
 *   for await (const batch of pool.batches(specs, { prefetch: 4 })) { ...; batch.release(); }
 *   await pool.close();
 *
 * - Results never depend on the pool: a batch is computed whole by one thread from its spec, and
 *   its random draws come from the spec's stream keys (lib/util/sampleStreams.ts). `batches` yields
 *   in spec order.
 * - Memory is bounded: `batches` keeps at most `prefetch` batches submitted or finished ahead of the
 *   consumer; a worker prepares one batch at a time and keeps at most its share of
 *   `decodedCacheBytes` of decoded images; background pools are shared by all threads
 *   (SharedArrayBuffer); batch buffers move between threads by transfer, and `release()` hands them
 *   back for reuse.
 * - Errors: a failed batch rejects with the worker's message (which batch, which item and shard
 *   file); a worker that dies fails every batch in flight and the pool (no silent respawn).
 * - Workers do not keep the process alive while idle, and `close()` ends all of them.
 *
 * Worker threads load TypeScript through tsx's CommonJS hook (`register()` in the thread): on Node 20
 * an `execArgv` of `--import tsx` alone does not make a `.ts` worker entry loadable (ERR_UNKNOWN_FILE_
 * EXTENSION), because tsx does not install its loader in worker threads. The parent's execArgv is
 * still inherited (source maps, memory flags).
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RgbImage } from '../../image/types';
import { ShardFiles } from '../../data/shardFiles';
import type { TransformConfig } from '../transforms/pipeline';
import type { BatchSource, SourceInfo } from './batchSource';
import { checkBatchSpec, type BatchSpec, type PreparedBatch } from './keyedBatch';
import type { FromWorker, ToWorker, WorkerInit } from './inputWorker';
import { defaultPoolSize } from './poolSize';
import { shareImages, type SharedImages } from './sharedImages';

export interface InputPoolOptions {
  transform: TransformConfig;
  /** Item sources by name (a split): its local shard files, in split order. */
  sources: Record<string, readonly string[]>;
  /** Background pools by name (decoded, e.g. the val and test Unsplash pools). */
  backgrounds?: Record<string, readonly RgbImage[]>;
  /** Worker threads (default: poolSize.ts's defaultPoolSize()). */
  size?: number;
  /** Decoded images kept for reuse, over all workers together (default 256 MiB; 0 decodes every use). */
  decodedCacheBytes?: number;
}

export interface PoolBatch extends PreparedBatch {
  /** Gives the buffers back to the pool for a later batch; the arrays must not be used afterwards. */
  release(): void;
}

/** What the main thread knows of a source: item count and labels (from the shard headers). */
export type { SourceInfo };

interface Job {
  id: number;
  spec: BatchSpec;
  resolve: (b: PoolBatch) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
}

/** Jobs a worker holds at once: one being prepared, one waiting in its port (no gap between batches). */
const JOBS_PER_WORKER = 2;

export class InputPool implements BatchSource {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly free = new Map<number, ArrayBuffer[]>();
  private readonly info = new Map<string, SourceInfo>();
  private readonly poolNames: Set<string>;
  private nextId = 0;
  private failure?: Error;
  private closing = false;

  private constructor(
    readonly size: number,
    private readonly transform: TransformConfig,
    private readonly maxFree: number,
    poolNames: string[],
  ) {
    this.poolNames = new Set(poolNames);
  }

  static async start(o: InputPoolOptions): Promise<InputPool> {
    const size = o.size ?? defaultPoolSize();
    if (!(Number.isInteger(size) && size >= 1)) throw new Error(`InputPool: size must be an integer >= 1, got ${size}`);
    const cacheBytes = o.decodedCacheBytes ?? 256 * 2 ** 20;
    const pool = new InputPool(size, o.transform, 4 * size + 4, Object.keys(o.backgrounds ?? {}));
    for (const [name, files] of Object.entries(o.sources)) {
      const s = new ShardFiles(files); // headers only, and the main thread's own check of the files
      pool.info.set(name, { length: s.length, labels: s.labels, ids: s.ids });
      s.close();
    }
    const pools: Record<string, SharedImages> = {};
    for (const [name, images] of Object.entries(o.backgrounds ?? {})) {
      if (images.length === 0) throw new Error(`InputPool: background pool ${name} is empty`);
      pools[name] = shareImages(images);
    }
    const init: WorkerInit = {
      transform: o.transform,
      sources: o.sources,
      pools,
      decodedCacheBytes: Math.floor(cacheBytes / size),
    };
    try {
      await Promise.all(Array.from({ length: size }, (_, k) => pool.spawn(k, init)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  source(name: string): SourceInfo {
    const s = this.info.get(name);
    if (!s) throw new Error(`InputPool: unknown source ${name} (have ${[...this.info.keys()].join(', ')})`);
    return s;
  }

  /** One batch, prepared by whichever worker is free. */
  run(spec: BatchSpec): Promise<PoolBatch> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('InputPool: closed'));
    try {
      checkBatchSpec(spec);
      const n = this.source(spec.source).length;
      const bad = spec.indices.find((i) => !(Number.isInteger(i) && i >= 0 && i < n));
      if (bad !== undefined) throw new Error(`InputPool: item ${bad} is not in source ${spec.source} (${n} items)`);
      if (spec.background !== undefined && !this.poolNames.has(spec.background)) {
        throw new Error(
          `InputPool: unknown background pool ${spec.background} (have ${[...this.poolNames].join(', ')})`,
        );
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<PoolBatch>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, spec, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * The batches of `specs`, in order, with at most `prefetch` (default 2 x size) submitted ahead of
   * the consumer. Stopping early (break, throw) lets the batches in flight finish and recycles them.
   */
  async *batches(specs: Iterable<BatchSpec>, opts: { prefetch?: number } = {}): AsyncGenerator<PoolBatch> {
    const prefetch = opts.prefetch ?? 2 * this.size;
    if (!(Number.isInteger(prefetch) && prefetch >= 1))
      throw new Error(`batches: prefetch must be >= 1, got ${prefetch}`);
    const it = specs[Symbol.iterator]();
    const ahead: Array<Promise<PoolBatch>> = [];
    let exhausted = false;
    const fill = () => {
      while (!exhausted && ahead.length < prefetch) {
        const r = it.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        const p = this.run(r.value);
        p.catch(() => undefined); // observed when its turn comes
        ahead.push(p);
      }
    };
    try {
      fill();
      while (ahead.length > 0) {
        const batch = await ahead.shift()!;
        fill();
        yield batch;
      }
    } finally {
      for (const p of ahead.splice(0))
        p.then(
          (b) => b.release(),
          () => undefined,
        );
    }
  }

  /** Ends every worker; batches not yet delivered reject. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const err = new Error('InputPool: closed');
    for (const job of this.queue.splice(0)) job.reject(err);
    await Promise.all(
      this.slots.map(async (slot) => {
        for (const job of slot.jobs.values()) job.reject(err);
        slot.jobs.clear();
        await slot.worker.terminate();
      }),
    );
    this.free.clear();
  }

  private spawn(k: number, init: WorkerInit): Promise<void> {
    const entry = path.join(__dirname, 'inputWorker.ts');
    const boot = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();\nrequire(${JSON.stringify(entry)});`;
    const worker = new Worker(boot, { eval: true, workerData: init, name: `bgbias-input-${k}` });
    const slot: Slot = { worker, jobs: new Map() };
    this.slots.push(slot);
    return new Promise<void>((ready, failed) => {
      let started = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          started = true;
          worker.unref();
          ready();
          this.dispatch();
        } else this.settle(slot, m);
      });
      worker.on('error', (e) => {
        const err = new Error(`input worker ${k} failed: ${e.message}`);
        if (!started) failed(err);
        this.fail(err);
      });
      worker.on('exit', (code) => {
        if (this.closing) return;
        const err = new Error(`input worker ${k} exited (code ${code})`);
        if (!started) failed(err);
        this.fail(err);
      });
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.failure && !this.closing) {
      let best: Slot | undefined;
      for (const s of this.slots)
        if (s.jobs.size < JOBS_PER_WORKER && (!best || s.jobs.size < best.jobs.size)) best = s;
      if (!best) return;
      const job = this.queue.shift()!;
      const px = this.transform.crop * this.transform.crop;
      const n = job.spec.indices.length;
      const msg: ToWorker = {
        type: 'batch',
        id: job.id,
        spec: job.spec,
        images: this.takeFree(n * px * 12),
        masks: job.spec.masks ? this.takeFree(n * px * 4) : undefined,
      };
      if (best.jobs.size === 0) best.worker.ref();
      best.jobs.set(job.id, job);
      best.worker.postMessage(
        msg,
        [msg.images, msg.masks].filter((b): b is ArrayBuffer => b !== undefined),
      );
    }
  }

  private settle(slot: Slot, m: Exclude<FromWorker, { type: 'ready' }>): void {
    const job = slot.jobs.get(m.id);
    if (!job) return;
    slot.jobs.delete(m.id);
    if (slot.jobs.size === 0) slot.worker.unref();
    if (m.type === 'error') job.reject(new Error(m.message));
    else {
      const images = new Float32Array(m.images);
      const masks = m.masks ? new Float32Array(m.masks) : undefined;
      let released = false;
      job.resolve({
        images,
        labels: new Int32Array(m.labels),
        masks,
        size: m.size,
        crop: this.transform.crop,
        release: () => {
          if (released) return;
          released = true;
          this.giveBack(m.images);
          if (m.masks) this.giveBack(m.masks);
        },
      });
    }
    this.dispatch();
  }

  private fail(err: Error): void {
    if (this.failure || this.closing) return;
    this.failure = err;
    for (const job of this.queue.splice(0)) job.reject(err);
    for (const s of this.slots) {
      for (const job of s.jobs.values()) job.reject(err);
      s.jobs.clear();
      void s.worker.terminate();
    }
  }

  private takeFree(bytes: number): ArrayBuffer | undefined {
    return this.free.get(bytes)?.pop();
  }

  private giveBack(buf: ArrayBuffer): void {
    if (this.closing || buf.byteLength === 0) return;
    const list = this.free.get(buf.byteLength) ?? [];
    if (list.length < this.maxFree) list.push(buf);
    this.free.set(buf.byteLength, list);
  }
}
