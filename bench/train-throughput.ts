/**
 * Training throughput: our tfjs 'tensorflow' backend against PyTorch CPU, same model, batch, loss,
 * optimiser (RMSprop) and thread count, alternating in one run. Each measurement runs in its own
 * child process so its peak RSS is its own; process start-up and warm-up steps are not timed.
 *
 * Usage: node --import tsx bench/train-throughput.ts [--models small,bninception] [--threads N]
 *          [--rounds R] [--steps S] [--warmup W] [--batch B]
 * Environment: BGBIAS_TORCH_PYTHON (default /usr/bin/python3, which has torch here).
 * Not part of npm test. Numbers: docs/native-tensorflow.md.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/ml/backend';
import { createSmallCnn } from '../lib/ml/models/smallCnn';
import { createBnInceptionStandIn } from './bnInceptionStandIn';

type ModelName = 'small' | 'bninception';
const INPUT: Record<ModelName, number> = { small: 64, bninception: 227 };

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

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function positiveInt(name: string, fallback: number): number {
  const raw = arg(name, String(fallback));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Worker: times `steps` training steps of one model on the tensorflow backend; prints one JSON line. */
async function worker(model: ModelName, threads: number, batch: number, steps: number, warmup: number): Promise<void> {
  const info = await initBackend('tensorflow', { threads });
  const size = INPUT[model];
  const net =
    model === 'small'
      ? (() => {
          const m = createSmallCnn({ seed: 'bench', inputSize: size });
          return { embed: (x: tf.Tensor4D) => m.embed(x), variables: m.trainableVariables(), dispose: () => m.dispose() };
        })()
      : (() => {
          const m = createBnInceptionStandIn(128);
          return { embed: m.embed, variables: m.variables.filter((v) => v.trainable), dispose: m.dispose };
        })();
  const x = tf.randomNormal([batch, size, size, 3], 0, 60, 'float32', 1) as tf.Tensor4D;
  // Loss: pull each embedding towards a fixed random unit target (cheap; the trunk dominates).
  const target = tf.tidy(() => {
    const t = tf.randomNormal([batch, 128], 0, 1, 'float32', 2);
    return tf.div(t, tf.norm(t, 'euclidean', 1, true));
  });
  const opt = tf.train.rmsprop(1e-5, 0.9, 0, 1e-8);
  const step = () => {
    const cost = opt.minimize(() => tf.neg(tf.mean(tf.sum(tf.mul(net.embed(x), target), 1))) as tf.Scalar, true, net.variables)!;
    cost.dataSync();
    cost.dispose();
  };
  for (let i = 0; i < warmup; i++) step();
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
  tf.dispose([x, target]);
  opt.dispose();
  net.dispose();
  console.log(`RESULT ${JSON.stringify(result)}`);
}

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv): Result {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr ?? '').slice(-3000)}`);
  }
  return JSON.parse(line.slice('RESULT '.length)) as Result;
}

async function driver(): Promise<void> {
  const models = arg('models', 'small,bninception').split(',') as ModelName[];
  for (const m of models) if (!(m in INPUT)) throw new Error(`--models: unknown model ${JSON.stringify(m)} (small, bninception)`);
  const threads = positiveInt('threads', os.availableParallelism());
  const rounds = positiveInt('rounds', 2);
  const batch = positiveInt('batch', 32);
  const python = process.env.BGBIAS_TORCH_PYTHON ?? '/usr/bin/python3';
  const torchScript = path.join(__dirname, 'torch_train_throughput.py');
  // Same thread count everywhere: TF intra-op (TF_NUM_INTRAOP_THREADS), torch.set_num_threads, OpenMP.
  const env = { ...process.env, TF_NUM_INTRAOP_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  console.log(`train throughput: batch ${batch}, ${threads} thread(s), ${rounds} alternating round(s), ${os.cpus()[0]?.model ?? 'cpu'}`);
  for (const model of models) {
    const steps = positiveInt('steps', model === 'small' ? 10 : 3);
    const warmup = positiveInt('warmup', model === 'small' ? 2 : 1);
    const common = ['--model', model, '--threads', String(threads), '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup)];
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
          `  ${model.padEnd(11)} round ${r + 1} ${res.framework.padEnd(36)} ${res.imgPerSec.toFixed(1).padStart(7)} img/s ` +
            `(steps ${res.stepSeconds.map((s) => s.toFixed(3)).join(' ')} s)  peak RSS ${res.peakRssMiB.toFixed(0)} MiB`,
        );
      }
    }
    const best = (rs: Result[]) => Math.max(...rs.map((r) => r.imgPerSec));
    const rss = (rs: Result[]) => Math.max(...rs.map((r) => r.peakRssMiB));
    console.log(
      `${model}: tensorflow ${best(tfRuns).toFixed(1)} img/s, torch ${best(torchRuns).toFixed(1)} img/s, ` +
        `tensorflow/torch = ${(best(tfRuns) / best(torchRuns)).toFixed(2)}; peak RSS tensorflow ${rss(tfRuns).toFixed(0)} MiB, torch ${rss(torchRuns).toFixed(0)} MiB`,
    );
  }
}

if (process.argv.includes('--worker')) {
  worker(
    arg('model', 'small') as ModelName,
    positiveInt('threads', 1),
    positiveInt('batch', 32),
    positiveInt('steps', 5),
    Number(arg('warmup', '1')),
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
