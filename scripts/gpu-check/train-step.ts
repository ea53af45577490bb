/**
 * The training step of scripts/check-gpu-build.sh: loads the native backend the way a worker does
 * (lib/ml/backend.ts), then runs the trainer's step (tf.variableGrads of the contrastive loss on the
 * small CNN, TorchRMSprop with the paper's settings; lib/ml/train/trainer.ts does the same) and
 * prints one JSON line with what it saw.
 *
 *   --mode compare: a small model (16x16 input, width 8, batch 8) for --steps steps on the native
 *     backend, then the same steps from the same initial weights and batch on tfjs's pure-JS 'cpu'
 *     backend (an independent implementation of every kernel): the losses of every step and the
 *     first step's gradients must agree within 1e-4 (relative to the largest value).
 *   --mode time: the smoke preset's model (64x64, width 32, batch 32): --warmup steps, then --steps
 *     timed steps; reports ms per step and peak RSS.
 *
 * Usage: node --import tsx scripts/gpu-check/train-step.ts --mode compare|time [--steps N] [--warmup N]
 *          [--expect-package @tensorflow/tfjs-node-gpu]
 * Exit 1 with a message when the backend is not the expected package, a value is not finite, the loss
 * does not change, or the backends disagree.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/ml/backend';
import { createSmallCnn, type SmallCnnOptions } from '../../lib/ml/models/smallCnn';
import { flag, positiveIntFlag } from '../../bench/flags';
import { paperContrastiveStep } from '../../bench/paperStep';

interface RunResult {
  losses: number[];
  /** Global L2 norm of the first step's gradients. */
  gradNorm: number;
  /** The first step's gradients, concatenated in variable order. */
  grads: Float32Array;
  /** Every weight after the last step, concatenated in variable order. */
  weights: Float32Array;
  msPerStep: number;
}

/** Deterministic pixels without any backend's RNG, so both backends see the same batch. */
function batchData(n: number, size: number): { x: Float32Array; labels: Int32Array } {
  const x = new Float32Array(n * size * size * 3);
  for (let i = 0; i < x.length; i++) x[i] = 100 * Math.sin(i * 0.37 + 0.5) * Math.cos(i * 0.013);
  // 4 images per class, as the sampler draws them.
  const labels = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 4));
  return { x, labels };
}

function run(model: SmallCnnOptions & { batch: number }, warmup: number, steps: number): RunResult {
  const size = model.inputSize ?? 64;
  const net = createSmallCnn(model);
  const vars = net.trainableVariables();
  // A larger learning rate than the paper's 1e-6, so a few steps visibly move the loss.
  const { loss: lossFn, optimizer } = paperContrastiveStep(vars, 1e-3);
  const data = batchData(model.batch, size);
  const x = tf.tensor4d(data.x, [model.batch, size, size, 3]);
  const labels = tf.tensor1d(data.labels, 'int32');
  const losses: number[] = [];
  let gradNorm = NaN;
  let firstGrads: Float32Array = new Float32Array(0);
  let t0 = 0;
  for (let s = 0; s < warmup + steps; s++) {
    if (s === warmup) t0 = performance.now();
    const { value: cost, grads } = tf.variableGrads(() => lossFn.compute(net.embed(x), labels), vars);
    if (s === 0) {
      gradNorm = tf.tidy(() => Math.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
      firstGrads = tf.tidy(() => tf.concat(vars.map((v) => grads[v.name].flatten())).dataSync() as Float32Array);
    }
    optimizer.step(grads);
    tf.dispose(grads);
    losses.push(cost.dataSync()[0]);
    cost.dispose();
  }
  const msPerStep = (performance.now() - t0) / steps;
  const weights = tf.tidy(() => tf.concat(vars.map((v) => v.flatten())).dataSync() as Float32Array);
  tf.dispose([x, labels]);
  optimizer.dispose();
  net.dispose();
  return { losses, gradNorm, grads: firstGrads, weights, msPerStep };
}

function fail(msg: string): never {
  console.error(`train-step: ${msg}`);
  process.exit(1);
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

async function main(): Promise<void> {
  const mode = flag('mode', 'compare');
  const expectPackage = flag('expect-package', '');
  const info = await initBackend('tensorflow');
  if (expectPackage && info.package !== expectPackage) {
    fail(`expected the backend from ${expectPackage}, got ${info.package} (was the addon built and loaded?)`);
  }
  const nativeBackend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  const out: Record<string, unknown> = {
    package: info.package,
    tensorflow: info.version,
    device: info.device,
    isUsingGpuDevice: nativeBackend.isUsingGpuDevice ?? null,
    threads: info.threads,
  };
  if (mode === 'compare') {
    const steps = positiveIntFlag('steps', 3);
    const model = { seed: 'gpu-build-check', inputSize: 16, width: 8, embeddingSize: 16, batch: 8 };
    const native = run(model, 0, steps);
    if (!(await tf.setBackend('cpu'))) fail("tfjs refused to start its 'cpu' backend");
    const reference = run(model, 0, steps);
    const lossDiff = maxRelDiff(native.losses, reference.losses);
    const gradDiff = maxRelDiff(native.grads, reference.grads);
    // Reported, not tested: RMSprop divides by sqrt(v) + eps, so a gradient element near zero turns
    // a 1e-7 difference into a visible step; the losses and gradients are the kernels' check.
    const weightDiff = maxRelDiff(native.weights, reference.weights);
    Object.assign(out, {
      mode,
      model: '16x16, width 8, embedding 16, batch 8, contrastive + TorchRMSprop(lr 1e-3)',
      steps,
      nativeLosses: native.losses,
      cpuLosses: reference.losses,
      nativeGradNorm: native.gradNorm,
      cpuGradNorm: reference.gradNorm,
      lossRelDiff: lossDiff,
      gradRelDiff: gradDiff,
      weightsRelDiff: weightDiff,
      parameters: native.weights.length,
    });
    console.log(JSON.stringify(out));
    const all = [...native.losses, native.gradNorm, ...reference.losses];
    if (!all.every(Number.isFinite)) fail(`a loss or gradient is not finite: ${JSON.stringify(out)}`);
    if (native.losses[0] === native.losses[native.losses.length - 1]) fail('the loss did not change over the steps');
    if (lossDiff > 1e-4 || gradDiff > 1e-4) {
      fail(`native and cpu backends disagree: losses ${lossDiff}, first-step gradients ${gradDiff} (max relative)`);
    }
  } else if (mode === 'time') {
    const warmup = positiveIntFlag('warmup', 5);
    const steps = positiveIntFlag('steps', 20);
    const r = run({ seed: 'gpu-build-check', batch: 32 }, warmup, steps);
    Object.assign(out, {
      mode,
      model: 'small CNN 64x64, width 32, batch 32, contrastive + TorchRMSprop',
      warmup,
      steps,
      msPerStep: r.msPerStep,
      imagesPerSecond: (32 * 1000) / r.msPerStep,
      firstLoss: r.losses[0],
      lastLoss: r.losses[r.losses.length - 1],
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    });
    console.log(JSON.stringify(out));
    if (!r.losses.every(Number.isFinite)) fail(`a loss is not finite: ${r.losses.join(', ')}`);
  } else {
    fail(`--mode must be compare or time, got ${JSON.stringify(mode)}`);
  }
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
