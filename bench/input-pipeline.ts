/**
 * Input-pipeline throughput: our paper train transform (+ BGAugment) against the reference's PIL 9.4 +
 * torchvision 0.14 pipeline (bench/torch_input_pipeline.py), on the same pixels, alternating in one run.
 *
 * Images: the 60 dataset images of ../shared/data/gt_masks (cars196, cub200, sop; with their rembg soft
 * masks `<idx>_mask_pred.png`), read from there (never copied into the repository), decoded and resized
 * to short side 256 with our PIL-exact resize, written as lossless PNGs into a temporary folder that
 * both sides read: the Python side therefore transforms exactly the pixels we transform. Backgrounds:
 * the 100 val-pool Unsplash images, resized to 256 the same way (the product's prepared pools).
 *
 * Per thread (default): one JavaScript thread (trainBatch: transform, BGAugment composite, into one
 * batch buffer) against one Python thread (torch.set_num_threads(1); TrainTransform + torch.stack +
 * x*m + bg*(1-m)). Each round runs both sides, plain then BGAugment, the order alternating by round;
 * the Python side runs in a child process, timed inside it after warm-up batches.
 *
 * Pool (--pool): the parallel pipeline from prepared shards: lib/ml/input/inputPool.ts with K worker
 * threads against torch's DataLoader with K worker processes, on the same shard file (the 60 images as
 * JPEG quality 95 with PNG masks, as prepareDataset stores them). Both read each item from the file,
 * decode it (sharp / PIL), transform it (+ BGAugment per sample, in the workers on both sides), and
 * hand batches of 32 to the main thread, which does nothing else; random indices with replacement,
 * no decoded-image cache on our side (the DataLoader has none).
 *
 * Usage: node --import tsx bench/input-pipeline.ts [--rounds R] [--batches N] [--warmup W] [--batch B]
 *          [--variant reference|lean]   (lean: the Python background transform skips the reference's
 *                                         wasted mask transform of bg.split()[0])
 *          [--engine wasm|js]           (our side: WebAssembly SIMD kernels, default, or the JavaScript
 *                                         fallback)
 *        node --import tsx bench/input-pipeline.ts --pool [--workers 1,2] [--rounds R] [--batches N]
 * Environment: BGBIAS_TORCH_PYTHON (default /usr/bin/python3), BGBIAS_BENCH_DATA (default ../shared/data). Needs python3-torch and
 * python3-torchvision: `bash bench/install-torch.sh`. Not part of npm test. Numbers: docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { DecodedItem } from '../lib/data/decodeShards';
import type { GrayImage, RgbImage } from '../lib/image/types';
import { encodeShard, type ShardItem } from '../lib/data/shardFormat';
import { InputPool } from '../lib/ml/input/inputPool';
import type { BatchSpec } from '../lib/ml/input/keyedBatch';
import { trainBatch } from '../lib/ml/train/batches';
import { PAPER_TRANSFORM } from '../lib/ml/transforms/pipeline';
import { setTransformEngine, transformEngine } from '../lib/image/wasmKernels';
import { Rng } from '../lib/util/rng';
import { publishedImages, valBackgrounds } from './publishedImages';
import { flag, hasFlag, positiveIntFlag } from './flags';

interface Prepared {
  dir: string;
  items: DecodedItem[];
  backgrounds: RgbImage[];
}

async function writePng(file: string, img: RgbImage | GrayImage, channels: 1 | 3): Promise<void> {
  const s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
    raw: { width: img.width, height: img.height, channels },
  });
  await (channels === 1 ? s.toColourspace('b-w') : s).png({ compressionLevel: 1 }).toFile(file);
}

/** The dataset images and val backgrounds at short side 256, in memory and as PNGs for the Python side. */
async function prepare(): Promise<Prepared> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-input-bench-'));
  const items: DecodedItem[] = [];
  for (const { id, image, mask } of await publishedImages(256)) {
    const n = String(items.length).padStart(3, '0');
    await writePng(path.join(dir, `image-${n}.png`), image, 3);
    await writePng(path.join(dir, `mask-${n}.png`), mask, 1);
    items.push({ id, label: items.length, image, mask });
  }
  const backgrounds = await valBackgrounds(256);
  for (const [i, bg] of backgrounds.entries())
    await writePng(path.join(dir, `bg-${String(i).padStart(3, '0')}.png`), bg, 3);
  return { dir, items, backgrounds };
}

interface Measurement {
  images: number;
  seconds: number;
  imgPerSec: number;
  /** Per thread: images per second of the thread's CPU time (on a loaded machine, waits for a core
   * inflate wall time but not CPU time; both sides are one thread, so this is their per-core rate). */
  cpuSeconds?: number;
  imgPerCpuSec?: number;
}

/** trainBatch over the images in order (cycling), one thread, after `warmup` untimed batches. */
function measureOurs(p: Prepared, aug: boolean, batch: number, batches: number, warmup: number): Measurement {
  const rng = Rng.fromSeed('input-bench');
  let k = 0;
  const run = () => {
    const items = Array.from({ length: batch }, () => p.items[k++ % p.items.length]);
    return trainBatch(items, PAPER_TRANSFORM, rng, aug ? p.backgrounds : undefined);
  };
  for (let i = 0; i < warmup; i++) run();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < batches; i++) run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpuSeconds = (c.user + c.system) / 1e6;
  const n = batch * batches;
  return { images: n, seconds, imgPerSec: n / seconds, cpuSeconds, imgPerCpuSec: n / cpuSeconds };
}

function runPython(args: string[]): Measurement {
  const python = process.env.BGBIAS_TORCH_PYTHON ?? '/usr/bin/python3';
  const script = path.join(__dirname, 'torch_input_pipeline.py');
  const env = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(python, [script, ...args], { env, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) {
    throw new Error(
      `${python} ${script} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr ?? '').slice(-3000)}`,
    );
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measurement;
}

async function perThread(): Promise<void> {
  setTransformEngine(flag('engine', 'wasm') === 'js' ? 'js' : 'wasm');
  const rounds = positiveIntFlag('rounds', 3);
  const batches = positiveIntFlag('batches', 10);
  const warmup = positiveIntFlag('warmup', 2);
  const batch = positiveIntFlag('batch', 32);
  const variant = flag('variant', 'reference');
  if (variant !== 'reference' && variant !== 'lean') throw new Error(`--variant: reference or lean, got ${variant}`);
  const p = await prepare();
  try {
    console.log(
      `input pipeline (${transformEngine()} kernels), 1 thread each: ${p.items.length} images + masks and ${p.backgrounds.length} backgrounds at ` +
        `short side 256, paper train transform, batch ${batch}, ${batches} timed batches after ${warmup}, ` +
        `${rounds} alternating rounds; ${os.cpus()[0]?.model ?? 'cpu'}, load average ` +
        os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' '),
    );
    const common = ['--mode', 'thread', '--dir', p.dir, '--bgdir', p.dir, '--batch', String(batch)];
    const timing = ['--batches', String(batches), '--warmup', String(warmup), '--variant', variant];
    const ratios: Record<string, number[]> = { plain: [], bgaugment: [] };
    const cpuRatios: Record<string, number[]> = { plain: [], bgaugment: [] };
    for (let r = 0; r < rounds; r++) {
      for (const aug of ['plain', 'bgaugment'] as const) {
        const sides = r % 2 === 0 ? (['ours', 'torch'] as const) : (['torch', 'ours'] as const);
        const got: Record<string, Measurement> = {};
        for (const side of sides) {
          got[side] =
            side === 'ours'
              ? measureOurs(p, aug === 'bgaugment', batch, batches, warmup)
              : runPython([...common, '--aug', aug, ...timing]);
        }
        const ratio = got.ours.imgPerSec / got.torch.imgPerSec;
        const cpuRatio = got.ours.imgPerCpuSec! / got.torch.imgPerCpuSec!;
        ratios[aug].push(ratio);
        cpuRatios[aug].push(cpuRatio);
        console.log(
          `  round ${r + 1} ${aug.padEnd(9)} bgbias ${got.ours.imgPerSec.toFixed(0).padStart(5)} img/s ` +
            `(${got.ours.imgPerCpuSec!.toFixed(0).padStart(5)} per CPU s)   PIL/torchvision ` +
            `${got.torch.imgPerSec.toFixed(0).padStart(5)} img/s (${got.torch.imgPerCpuSec!.toFixed(0).padStart(5)} per CPU s)   ` +
            `ratio ${ratio.toFixed(2)} (CPU time ${cpuRatio.toFixed(2)})`,
        );
      }
    }
    for (const aug of ['plain', 'bgaugment']) {
      const [rs, cs] = [ratios[aug], cpuRatios[aug]];
      console.log(
        `${aug}: wall-time ratio min ${Math.min(...rs).toFixed(2)}, median ${median(rs).toFixed(2)}, max ${Math.max(...rs).toFixed(2)}; ` +
          `CPU-time ratio min ${Math.min(...cs).toFixed(2)}, median ${median(cs).toFixed(2)}, max ${Math.max(...cs).toFixed(2)}`,
      );
    }
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The prepared images as one shard file (JPEG q95 + PNG masks, like lib/data/prepareDataset.ts). */
async function writeShard(p: Prepared): Promise<string> {
  const items: ShardItem[] = [];
  for (const it of p.items) {
    const raw = (img: RgbImage | GrayImage, channels: 1 | 3) =>
      sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
        raw: { width: img.width, height: img.height, channels },
      });
    const image = await raw(it.image, 3).jpeg({ quality: 95 }).toBuffer();
    const mask = await raw(it.mask, 1).toColourspace('b-w').png().toBuffer();
    items.push({ id: it.id, label: it.label, image, mask });
  }
  const file = path.join(p.dir, 'bench-00000.bgsh');
  fs.writeFileSync(file, encodeShard(items));
  return file;
}

async function measurePool(
  shard: string,
  p: Prepared,
  workers: number,
  aug: boolean,
  batch: number,
  batches: number,
  warmup: number,
): Promise<Measurement> {
  const pool = await InputPool.start({
    transform: PAPER_TRANSFORM,
    sources: { bench: [shard] },
    backgrounds: { val: p.backgrounds },
    size: workers,
    decodedCacheBytes: 0,
  });
  try {
    const rng = Rng.fromSeed(`pool-bench/${workers}`);
    const n = pool.source('bench').length;
    const specs: BatchSpec[] = Array.from({ length: warmup + batches }, (_, b) => ({
      kind: 'train',
      source: 'bench',
      indices: Array.from({ length: batch }, () => rng.int(0, n - 1)),
      streams: { seed: 0, split: 'train', epoch: 1, firstPosition: b * batch },
      background: aug ? 'val' : undefined,
    }));
    let k = 0;
    let t0 = process.hrtime.bigint();
    for await (const b of pool.batches(specs)) {
      b.release();
      if (++k === warmup) t0 = process.hrtime.bigint();
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { images: batch * batches, seconds, imgPerSec: (batch * batches) / seconds };
  } finally {
    await pool.close();
  }
}

async function poolMode(): Promise<void> {
  const rounds = positiveIntFlag('rounds', 2);
  const batches = positiveIntFlag('batches', 10);
  const warmup = positiveIntFlag('warmup', 3);
  const batch = positiveIntFlag('batch', 32);
  const workerCounts = flag('workers', '1,2')
    .split(',')
    .map((w) => {
      const n = Number(w);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--workers: positive integers, got ${w}`);
      return n;
    });
  const p = await prepare();
  try {
    const shard = await writeShard(p);
    console.log(
      `input pool vs DataLoader: ${p.items.length} images in one shard (JPEG q95 + PNG masks, short side 256), ` +
        `${p.backgrounds.length} backgrounds, paper train transform, batch ${batch}, ${batches} timed batches ` +
        `after ${warmup}, ${rounds} alternating rounds; ${os.cpus().length} cores, load average ` +
        os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' '),
    );
    const ratios: Record<string, number[]> = {};
    for (let r = 0; r < rounds; r++) {
      for (const workers of workerCounts) {
        for (const aug of ['plain', 'bgaugment'] as const) {
          const sides = r % 2 === 0 ? (['ours', 'torch'] as const) : (['torch', 'ours'] as const);
          const got: Record<string, Measurement> = {};
          for (const side of sides) {
            got[side] =
              side === 'ours'
                ? await measurePool(shard, p, workers, aug === 'bgaugment', batch, batches, warmup)
                : runPython([
                    ...['--mode', 'loader', '--shard', shard, '--bgdir', p.dir, '--workers', String(workers)],
                    ...['--aug', aug, '--batch', String(batch), '--batches', String(batches)],
                    ...['--warmup', String(warmup), '--variant', flag('variant', 'reference')],
                  ]);
          }
          const ratio = got.ours.imgPerSec / got.torch.imgPerSec;
          (ratios[`${workers} worker(s), ${aug}`] ??= []).push(ratio);
          console.log(
            `  round ${r + 1} ${workers} worker(s) ${aug.padEnd(9)} bgbias pool ${got.ours.imgPerSec.toFixed(0).padStart(5)} img/s   ` +
              `DataLoader ${got.torch.imgPerSec.toFixed(0).padStart(5)} img/s   ratio ${ratio.toFixed(2)}`,
          );
        }
      }
    }
    for (const [k, rs] of Object.entries(ratios)) {
      console.log(
        `${k}: ratio min ${Math.min(...rs).toFixed(2)}, median ${median(rs).toFixed(2)}, max ${Math.max(...rs).toFixed(2)}`,
      );
    }
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
}

(hasFlag('pool') ? poolMode() : perThread()).catch((e) => {
  console.error(e);
  process.exit(1);
});
