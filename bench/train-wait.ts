/**
 * The share of a training step the model waits for its input, with and without the input pool, for
 * the small CNN and for BN-Inception, side by side in one run.
 *
 * A step is lib/ml/train/trainer.ts's: the next prepared batch (paper train transform, + BGAugment),
 * then trainStep (embed, contrastive loss, gradients, RMSprop). "wait" is the time the loop spends
 * getting the next batch, "step" the time in trainStep; the wait share is wait / (wait + step).
 *   - without the pool: lib/ml/input/batchSource.ts's inlineBatchSource on the thread that drives
 *     TensorFlow (read from the shard file, decode, transform, then the step: nothing overlaps);
 *   - with the pool: lib/ml/input/inputPool.ts with --workers threads and prefetch 2 x workers, as
 *     the training activity runs it (the next batches are prepared while the step runs).
 * Items: the 60 dataset images of ../shared/data/gt_masks with their rembg masks, prepared as the
 * product stores them (short side resizeShort, JPEG 95 + PNG mask in one shard file in a temporary
 * folder); backgrounds: the 100 val-pool Unsplash images at resizeShort. Batches: random classes,
 * 4 images per class (15 classes of 4 images). No decoded-image cache on either side.
 *
 * Usage: node --import tsx bench/train-wait.ts [--models small,bninception] [--threads 1] [--workers 1]
 *          [--steps S] [--warmup W] [--rounds R] [--batch B]
 * Not part of npm test. Numbers: docs/benchmarks.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { PAPER_HYPERPARAMETERS } from '../configs/paper/hyperparameters';
import { ShardFiles } from '../lib/data/shardFiles';
import { encodeShard, type ShardItem } from '../lib/data/shardFormat';
import type { RgbImage } from '../lib/image/types';
import { initBackend } from '../lib/ml/backend';
import { inlineBatchSource, type BatchSource } from '../lib/ml/input/batchSource';
import { InputPool } from '../lib/ml/input/inputPool';
import type { BatchSpec } from '../lib/ml/input/keyedBatch';
import { ContrastiveLoss } from '../lib/ml/losses';
import { createBnInception } from '../lib/ml/models/bnInception';
import { createSmallCnn } from '../lib/ml/models/smallCnn';
import type { EmbeddingModel } from '../lib/ml/models/types';
import { TorchRMSprop } from '../lib/ml/optim/rmsprop';
import { trainStep } from '../lib/ml/train/trainStep';
import { PAPER_TRANSFORM, type TransformConfig } from '../lib/ml/transforms/pipeline';
import { Rng } from '../lib/util/rng';
import { publishedImages, valBackgrounds } from './publishedImages';
import { flag, positiveIntFlag } from './flags';

const PER_CLASS = 4;

type ModelName = 'small' | 'bninception';
const TRANSFORMS: Record<ModelName, TransformConfig> = {
  small: { ...PAPER_TRANSFORM, resizeShort: 73, crop: 64 },
  bninception: PAPER_TRANSFORM,
};

function createModel(model: ModelName): EmbeddingModel {
  if (model === 'bninception') return createBnInception({ seed: 'bench', inputSize: 227 });
  return createSmallCnn({ seed: 'bench', inputSize: 64, downsampling: 'blurred' });
}

/** One shard file of the 60 images (JPEG 95, PNG masks) at `short`, and the val backgrounds at `short`. */
async function prepare(short: number, dir: string): Promise<{ file: string; backgrounds: RgbImage[] }> {
  const items: ShardItem[] = [];
  const raw = (data: Uint8Array, channels: 1 | 3, w: number, h: number) =>
    sharp(Buffer.from(data), { raw: { width: w, height: h, channels } });
  for (const { id, image: img, mask } of await publishedImages(short)) {
    items.push({
      id,
      label: Math.floor(items.length / PER_CLASS),
      image: await raw(img.data, 3, img.width, img.height).jpeg({ quality: 95 }).toBuffer(),
      mask: await raw(mask.data, 1, mask.width, mask.height).toColourspace('b-w').png().toBuffer(),
    });
  }
  const file = path.join(dir, `items-${short}.bgsh`);
  fs.writeFileSync(file, encodeShard(items));
  return { file, backgrounds: await valBackgrounds(short) };
}

/** Random batches of `batch / 4` classes x 4 images, keyed like the trainer's. */
function specs(n: number, batch: number, classes: number, bgaugment: boolean, round: number): BatchSpec[] {
  const rng = Rng.fromSeed(`train-wait/${round}`);
  return Array.from({ length: n }, (_, b) => {
    const chosen = rng.shuffle(Array.from({ length: classes }, (_, c) => c)).slice(0, batch / PER_CLASS);
    return {
      kind: 'train',
      source: 'train',
      indices: chosen.flatMap((c) => Array.from({ length: PER_CLASS }, (_, k) => c * PER_CLASS + k)),
      streams: { seed: round, split: 'train', epoch: 1, firstPosition: b * batch },
      background: bgaugment ? 'val' : undefined,
    };
  });
}

interface Measured {
  wait: number;
  step: number;
}

async function measure(
  input: BatchSource,
  list: BatchSpec[],
  warmup: number,
  net: EmbeddingModel,
  loss: ContrastiveLoss,
  opt: TorchRMSprop,
): Promise<Measured> {
  const labels = Int32Array.from({ length: list[0].indices.length }, (_, i) => Math.floor(i / PER_CLASS));
  let wait = 0;
  let step = 0;
  let k = 0;
  const it = input.batches(list, { prefetch: undefined })[Symbol.asyncIterator]();
  for (;;) {
    const t0 = performance.now();
    const r = await it.next();
    const t1 = performance.now();
    if (r.done) break;
    await trainStep(net, loss, (g) => opt.step(g), { ...r.value, labels });
    r.value.release();
    const t2 = performance.now();
    if (k++ >= warmup) {
      wait += t1 - t0;
      step += t2 - t1;
    }
  }
  return { wait: wait / 1000, step: step / 1000 };
}

async function main(): Promise<void> {
  const models = flag('models', 'small,bninception').split(',') as ModelName[];
  const threads = positiveIntFlag('threads', 1);
  const workers = positiveIntFlag('workers', 1);
  const rounds = positiveIntFlag('rounds', 1);
  const batch = positiveIntFlag('batch', 32);
  const info = await initBackend('tensorflow', { threads });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-train-wait-'));
  console.log(
    `# ${new Date().toISOString()} ${os.cpus()[0]?.model} x${os.availableParallelism()}, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; TensorFlow ${info.version} ${info.threads} thread(s); pool ${workers} worker(s); batch ${batch}`,
  );
  try {
    for (const model of models) {
      const steps = positiveIntFlag('steps', model === 'small' ? 20 : 3);
      const warmup = positiveIntFlag('warmup', model === 'small' ? 3 : 1);
      const cfg = TRANSFORMS[model];
      const { file, backgrounds } = await prepare(cfg.resizeShort, dir);
      const shard = new ShardFiles([file]);
      const classes = shard.length / PER_CLASS;
      // Without the pool: items read and decoded on demand on this thread, as the workers do.
      const inline = inlineBatchSource({
        transform: cfg,
        sources: {
          train: {
            length: shard.length,
            labels: shard.labels,
            id: (i) => shard.id(i),
            getMany: (idx) => Promise.all(idx.map((i) => shard.read(i))),
          },
        },
        backgrounds: { val: backgrounds },
      });
      const pool = await InputPool.start({
        transform: cfg,
        sources: { train: [file] },
        backgrounds: { val: backgrounds },
        size: workers,
        decodedCacheBytes: 0,
      });
      const net = createModel(model);
      const loss = new ContrastiveLoss(PAPER_HYPERPARAMETERS.cars196.contrastive.params);
      const opt = new TorchRMSprop([{ params: net.trainableVariables(), lr: 1e-6 }], {
        alpha: 0.99,
        eps: 1e-8,
        weightDecay: 1e-4,
        momentum: 0.9,
      });
      try {
        for (let round = 0; round < rounds; round++) {
          for (const bgaugment of [false, true]) {
            const sides: Array<[string, BatchSource]> = [
              ['without pool', inline],
              [`pool of ${workers}`, pool],
            ];
            if (round % 2 === 1) sides.reverse();
            for (const [name, input] of sides) {
              const m = await measure(
                input,
                specs(steps + warmup, batch, classes, bgaugment, round),
                warmup,
                net,
                loss,
                opt,
              );
              const share = m.wait / (m.wait + m.step);
              console.log(
                `RESULT ${JSON.stringify({ model, mode: bgaugment ? 'bgaugment' : 'base', input: name, round, steps, waitSeconds: +m.wait.toFixed(3), stepSeconds: +m.step.toFixed(3), waitShare: +share.toFixed(4) })}`,
              );
            }
          }
        }
      } finally {
        opt.dispose();
        net.dispose();
        await pool.close();
        shard.close();
        tf.disposeVariables();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
