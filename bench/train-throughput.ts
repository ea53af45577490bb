/**
 * Training throughput: our tfjs 'tensorflow' backend against PyTorch CPU, same model, batch, loss,
 * optimiser and thread count, alternating in one run. Each measurement runs in its own child process
 * so its peak RSS is its own; process start-up and warm-up steps are not timed.
 *
 * One step is what lib/ml/train/trainer.ts does: tf.variableGrads of the contrastive loss (PML 1.x
 * semantics, cars196 margins) of model.embed(x), then TorchRMSprop with the paper's settings
 * (lr 1e-6, alpha 0.99, eps 1e-8, weight decay 1e-4, momentum 0.9). Labels: batch/4 classes x 4.
 * Models: 'small' = lib/ml/models/smallCnn.ts at 64x64; 'bninception' = lib/ml/models/bnInception.ts
 * at 227x227 (BN frozen). The PyTorch twin (bench/torch_train_throughput.py) runs Cadene's
 * BNInception + Linear(1024, 128) + L2 norm, PML's ContrastiveLoss and torch.optim.RMSprop.
 *
 * Usage: node --import tsx bench/train-throughput.ts [--models small,bninception] [--threads N]
 *          [--rounds R] [--steps S] [--warmup W] [--batch B]
 *        (defaults: 2 rounds; small CNN 30 timed steps after 30 warm-up steps, BN-Inception 3 after 1)
 *        node --import tsx bench/train-throughput.ts --profile [--models bninception] [--threads N] [--batch B]
 *          (one profiled step on each side: time per kernel / aten op, where the time goes)
 * Environment: BGBIAS_TORCH_PYTHON (default /usr/bin/python3, which has torch here).
 * Not part of npm test. Numbers: docs/native-tensorflow.md.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/ml/backend';
import { createBnInception } from '../lib/ml/models/bnInception';
import { createSmallCnn } from '../lib/ml/models/smallCnn';
import type { EmbeddingModel } from '../lib/ml/models/types';
import { flag, hasFlag, positiveIntFlag } from './flags';
import { paperContrastiveStep } from './paperStep';

type ModelName = 'small' | 'bninception';
const INPUT: Record<ModelName, number> = { small: 64, bninception: 227 };
/** Images per class in a batch (the paper's m for contrastive). */
const PER_CLASS = 4;

interface Result {
  framework: string;
  model: ModelName;
  threads: number;
  batch: number;
  stepSeconds: number[];
  imgPerSec: number;
  peakRssMiB: number;
  version: string;
}

function createModel(model: ModelName): EmbeddingModel {
  if (model === 'bninception') return createBnInception({ seed: 'bench', inputSize: INPUT.bninception });
  // 'strided': the variant bench/torch_train_throughput.py builds in PyTorch (the smoke preset's
  // 'blurred' adds a depthwise 3x3 blur before each block, which the PyTorch side does not have).
  return createSmallCnn({ seed: 'bench', inputSize: INPUT.small, downsampling: 'strided' });
}

/** Worker: times `steps` training steps of one model on the tensorflow backend; prints one JSON line. */
async function worker(
  model: ModelName,
  threads: number,
  batch: number,
  steps: number,
  warmup: number,
  profile: boolean,
): Promise<void> {
  if (batch % PER_CLASS !== 0) throw new Error(`--batch must be a multiple of ${PER_CLASS}, got ${batch}`);
  const info = await initBackend('tensorflow', { threads });
  const size = INPUT[model];
  const net = createModel(model);
  const vars = net.trainableVariables();
  const x = tf.randomNormal([batch, size, size, 3], 0, 60, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => Math.floor(i / PER_CLASS)),
    'int32',
  );
  const { loss, optimizer: opt } = paperContrastiveStep(vars);
  // Exactly lib/ml/train/trainer.ts's step.
  const step = () => {
    const { value, grads } = tf.variableGrads(() => loss.compute(net.embed(x), labels), vars);
    opt.step(grads);
    tf.dispose(grads);
    value.dataSync();
    value.dispose();
  };
  for (let i = 0; i < warmup; i++) step();
  if (profile) {
    await profileStep(step);
  } else {
    const stepSeconds: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = process.hrtime.bigint();
      step();
      stepSeconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const total = stepSeconds.reduce((a, b) => a + b, 0);
    const result: Result = {
      framework: `tfjs ${tf.version_core} + TensorFlow ${info.version}`,
      model,
      threads: info.threads,
      batch,
      stepSeconds,
      imgPerSec: (batch * steps) / total,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      version: info.version,
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
  }
  tf.dispose([x, labels]);
  opt.dispose();
  net.dispose();
}

/** One step under tf.profile: milliseconds and calls per kernel, largest first, and the step's peak tensor bytes. */
async function profileStep(step: () => void): Promise<void> {
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false); // no per-kernel read-back while profiling
  const t0 = Date.now();
  const info = await tf.profile(step);
  const wall = Date.now() - t0;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    byKernel.set(k.name, e);
    total += ms;
  }
  console.log(
    `tfjs step: ${info.kernels.length} kernels, ${total.toFixed(0)} ms in kernels, ${wall} ms wall (profiled), ` +
      `peak tensor memory ${(info.peakBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    console.log(
      `  ${name.padEnd(24)} ${e.ms.toFixed(0).padStart(7)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ` +
        `${String(e.calls).padStart(5)} calls`,
    );
  }
}

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv): Result {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr ?? '').slice(-3000)}`);
  }
  return JSON.parse(line.slice('RESULT '.length)) as Result;
}

/** The flags both sides (the tfjs worker and the PyTorch script) take for one measurement. */
function sideArgs(o: { model: ModelName; threads: number; batch: number; steps: number; warmup: number }): string[] {
  return ['--model', o.model, '--threads', String(o.threads), '--batch', String(o.batch)].concat([
    '--steps',
    String(o.steps),
    '--warmup',
    String(o.warmup),
  ]);
}

/** Runs both sides with --profile, each printing its own table (no timing comparison: profiling adds overhead). */
function profileBoth(
  models: ModelName[],
  env: NodeJS.ProcessEnv,
  python: string,
  torchScript: string,
  threads: number,
): void {
  const batch = positiveIntFlag('batch', 32);
  for (const model of models) {
    const common = [...sideArgs({ model, threads, batch, steps: 1, warmup: 1 }), '--profile'];
    for (const [cmd, args] of [
      [process.execPath, ['--import', 'tsx', __filename, '--worker', ...common]],
      [python, [torchScript, ...common]],
    ] as Array<[string, string[]]>) {
      const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 16 << 20 });
      if (r.status !== 0)
        throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr ?? '').slice(-3000)}`);
      console.log(`== ${model}, batch ${batch}, ${threads} thread(s): ${path.basename(cmd)}\n${r.stdout.trim()}`);
    }
  }
}

async function driver(): Promise<void> {
  const models = flag('models', 'small,bninception').split(',') as ModelName[];
  for (const m of models)
    if (!(m in INPUT)) throw new Error(`--models: unknown model ${JSON.stringify(m)} (small, bninception)`);
  const threads = positiveIntFlag('threads', os.availableParallelism());
  const rounds = positiveIntFlag('rounds', 2);
  const batch = positiveIntFlag('batch', 32);
  const python = process.env.BGBIAS_TORCH_PYTHON ?? '/usr/bin/python3';
  const torchScript = path.join(__dirname, 'torch_train_throughput.py');
  // Same thread count everywhere: TF intra-op (TF_NUM_INTRAOP_THREADS), torch.set_num_threads, OpenMP.
  const env = {
    ...process.env,
    TF_NUM_INTRAOP_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
  };
  if (hasFlag('profile')) return profileBoth(models, env, python, torchScript, threads);
  console.log(
    `train throughput: batch ${batch}, ${threads} thread(s), ${rounds} alternating round(s), ` +
      `${os.cpus()[0]?.model ?? 'cpu'}, ` +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  for (const model of models) {
    // Steady state, as in a training run of thousands of steps: tfjs + TensorFlow gets faster over
    // its first ~30 small-CNN steps (~46 ms per step in the first ten, ~38 from the third ten on, at
    // 2 threads; most likely V8 compiling tfjs's JavaScript as it runs, and oneDNN's primitive
    // caches), while PyTorch is at speed from its second step. docs/native-tensorflow.md has the
    // step-by-step times. BN-Inception's steps take seconds, so one warm-up step is enough there.
    const steps = positiveIntFlag('steps', model === 'bninception' ? 3 : 30);
    const warmup = positiveIntFlag('warmup', model === 'bninception' ? 1 : 30);
    const common = sideArgs({ model, threads, batch, steps, warmup });
    const tfRuns: Result[] = [];
    const torchRuns: Result[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first so drift on a shared machine hits both.
      const order = r % 2 === 0 ? ['tf', 'torch'] : ['torch', 'tf'];
      for (const which of order) {
        const res =
          which === 'tf'
            ? runChild(process.execPath, ['--import', 'tsx', __filename, '--worker', ...common], env)
            : runChild(python, [torchScript, ...common], env);
        (which === 'tf' ? tfRuns : torchRuns).push(res);
        console.log(
          `  ${model.padEnd(11)} round ${r + 1} ${res.framework.padEnd(36)} ${res.imgPerSec.toFixed(1).padStart(7)} ` +
            `img/s ` +
            `(steps ${res.stepSeconds.map((s) => s.toFixed(3)).join(' ')} s)  peak RSS ${res.peakRssMiB.toFixed(0)} ` +
            `MiB`,
        );
      }
    }
    const best = (rs: Result[]) => Math.max(...rs.map((r) => r.imgPerSec));
    const worst = (rs: Result[]) => Math.min(...rs.map((r) => r.imgPerSec));
    const rss = (rs: Result[]) => Math.max(...rs.map((r) => r.peakRssMiB));
    // The median too: at 2+ threads PyTorch's OpenMP runs are bimodal here (a rare fast round), and a
    // best-of ratio then compares against that round alone.
    const median = (rs: Result[]) => {
      const v = rs.map((r) => r.imgPerSec).sort((a, b) => a - b);
      return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    };
    console.log(
      `${model}: tensorflow ${best(tfRuns).toFixed(1)} img/s (worst run ${worst(tfRuns).toFixed(1)}), ` +
        `torch ${best(torchRuns).toFixed(1)} img/s (worst run ${worst(torchRuns).toFixed(1)}), ` +
        `tensorflow/torch = ${(best(tfRuns) / best(torchRuns)).toFixed(2)}; peak RSS tensorflow ` +
        `${rss(tfRuns).toFixed(0)} MiB, torch ${rss(torchRuns).toFixed(0)} MiB; ` +
        `load average now ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
    );
    console.log(
      `${model}: medians tensorflow ${median(tfRuns).toFixed(1)} img/s, torch ${median(torchRuns).toFixed(1)} img/s, ` +
        `tensorflow/torch = ${(median(tfRuns) / median(torchRuns)).toFixed(2)} (over ${tfRuns.length} round(s) each)`,
    );
  }
}

if (hasFlag('worker')) {
  worker(
    flag('model', 'small') as ModelName,
    positiveIntFlag('threads', 1),
    positiveIntFlag('batch', 32),
    positiveIntFlag('steps', 5),
    Number(flag('warmup', '1')),
    hasFlag('profile'),
  ).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  driver().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
