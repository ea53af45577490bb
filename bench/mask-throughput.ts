/**
 * u2net mask throughput of one worker (img/s) at u2net's real input size, 320 x 320, through the
 * product's path (lib/data/masks/u2netSession.ts: rembg's PIL-exact Lanczos pre-processing, the
 * onnxruntime-node session, the post-processing back to the image size), for 1 and 2 onnxruntime
 * intra-op threads, alternating in one run. Beside each: the session's run alone on the same
 * tensors (model-only img/s), so the share of the JavaScript pre/post-processing shows.
 *
 * The model: u2net.onnx (176 MB) cannot be downloaded here, so bench/u2net_standin.py builds the
 * U^2-Net architecture with random weights (same signature, 44.0 M parameters like u2net, 58.6 G
 * multiply-accumulates per image). Masks from random weights mean nothing; the arithmetic is u2net's.
 * `--model u2net.onnx` measures the real one instead.
 *
 * Images: the paper repository's published dataset images (gt_masks/<dataset>/*_image.*; real
 * CUB / Cars / SOP photos of their real sizes), bench/publishedImages.ts (BGBIAS_BENCH_DATA or
 * ../shared/data).
 *
 * Usage: node --import tsx bench/mask-throughput.ts [--threads 1,2] [--images 6] [--rounds 1]
 *          [--model FILE] [--device cpu|cuda]
 * Environment: BGBIAS_PYTHON (default python3, with numpy and onnx) builds the stand-in, kept as
 * <tmp>/bgbias-bench-u2net-standin.onnx for the next run.
 * Not part of npm test. Numbers: docs/benchmarks.md ("u2net masks").
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { readRgb } from '../lib/image/decode';
import type { RgbImage } from '../lib/image/types';
import type { U2netProvider } from '../lib/data/masks/executionProvider';
import { U2NET_SIZE, u2netInput } from '../lib/data/masks/u2netProcessing';
import { U2netSession } from '../lib/data/masks/u2netSession';
import { flag, positiveIntFlag } from './flags';
import { publishedImageFiles } from './publishedImages';

function standIn(): string {
  const out = path.join(os.tmpdir(), 'bgbias-bench-u2net-standin.onnx');
  if (fs.existsSync(out)) return out;
  const py = process.env.BGBIAS_PYTHON || 'python3';
  const r = spawnSync(py, [path.join(__dirname, 'u2net_standin.py'), out], { stdio: 'inherit' });
  if (r.status !== 0)
    throw new Error(`${py} bench/u2net_standin.py failed (needs numpy and onnx: pip install numpy onnx)`);
  return out;
}

async function images(n: number): Promise<RgbImage[]> {
  // Interleave the datasets (sorted by id across them) so a small n mixes them.
  const files = publishedImageFiles().sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
  return Promise.all(files.slice(0, n).map((file) => readRgb(file)));
}

async function measure(model: string, threads: number, imgs: RgbImage[], provider: U2netProvider) {
  const session = await U2netSession.load(model, {
    intraOpThreads: threads,
    providers: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    log: (l) => console.log(`  ${l}`),
  });
  let endToEnd: number;
  try {
    await session.predict([imgs[0]]); // warm-up (allocations, kernel selection)
    const t0 = performance.now();
    for (const img of imgs) await session.predict([img]); // rembg masks one image at a time
    endToEnd = imgs.length / ((performance.now() - t0) / 1000);
  } finally {
    // Released before the next session: onnxruntime's idle intra-op threads spin for a while and
    // would take the cores from it.
    await session.release();
  }
  // Model only: the same input tensors, built beforehand, through a plain session.
  const raw = await ort.InferenceSession.create(model, {
    executionProviders: [session.provider],
    intraOpNumThreads: threads,
  });
  try {
    const plane = 3 * U2NET_SIZE * U2NET_SIZE;
    const tensors = imgs.map((img) => {
      const data = new Float32Array(plane);
      u2netInput(img, data, 0);
      return new ort.Tensor('float32', data, [1, 3, U2NET_SIZE, U2NET_SIZE]);
    });
    await raw.run({ [raw.inputNames[0]]: tensors[0] });
    const t0 = performance.now();
    for (const t of tensors) await raw.run({ [raw.inputNames[0]]: t });
    const modelOnly = imgs.length / ((performance.now() - t0) / 1000);
    return { endToEnd, modelOnly, provider: session.provider };
  } finally {
    await raw.release();
  }
}

async function main(): Promise<void> {
  const threadList = flag('threads', '1,2').split(',').map(Number);
  const n = positiveIntFlag('images', 6);
  const rounds = positiveIntFlag('rounds', 1);
  const device = flag('device', 'cpu') as U2netProvider;
  const model = flag('model', '') || standIn();
  const imgs = await images(n);
  const sizes = imgs.map((i) => `${i.width}x${i.height}`).join(', ');
  console.log(`model ${model} (${(fs.statSync(model).size / 1e6).toFixed(1)} MB); ${imgs.length} images: ${sizes}`);
  console.log(
    `machine: ${os.cpus()[0]?.model ?? '?'}, ${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(1)}`,
  );
  const rows: { round: number; threads: number; endToEnd: number; modelOnly: number; provider: string }[] = [];
  for (let round = 1; round <= rounds; round++)
    for (const threads of threadList) {
      const r = await measure(model, threads, imgs, device);
      rows.push({ round, threads, ...r });
      console.log(
        `round ${round}, ${threads} thread(s), ${r.provider}: ${r.endToEnd.toFixed(3)} img/s end to end, ` +
          `${r.modelOnly.toFixed(3)} img/s model only (pre/post-processing ${(100 * (1 - r.endToEnd / r.modelOnly)).toFixed(0)}% of the time)`,
      );
    }
  const best = (t: number) => Math.max(...rows.filter((r) => r.threads === t).map((r) => r.endToEnd));
  if (threadList.length > 1)
    console.log(
      `speed-up ${threadList[threadList.length - 1]} vs ${threadList[0]} thread(s), end to end: ` +
        `${(best(threadList[threadList.length - 1]) / best(threadList[0])).toFixed(2)}x; ` +
        `load average now ${os.loadavg()[0].toFixed(1)}`,
    );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
