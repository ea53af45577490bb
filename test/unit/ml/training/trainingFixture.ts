/**
 * Reads the golden training fixtures of scripts/fixtures/gen_bninception_train.py
 * (test/fixtures/training/<case>.json + <case>.bin + the PNG strip of the batch) and compares a
 * float32 training run against them. The tolerances live in the tests that call `compareRun`,
 * each with its justification.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import type { HostBatch } from '../../../../lib/ml/train/batches';
import type { CellModel } from '../../../../activities/buildCell';
import type { ExperimentConfig } from '../../../../configs/schema';
import type { DatasetName } from '../../../../contracts/grid';
import { NormalizedSoftmaxLoss } from '../../../../lib/ml/losses';
import { trainStep } from '../../../../lib/ml/train/trainStep';
import { toNormalisedBgr } from '../../../../lib/ml/transforms/pipeline';
import { hashedValues } from '../../../helpers/hashedWeights';

export const TRAINING_FIXTURES = join(__dirname, '../../../fixtures/training');

interface ArrayEntry {
  dtype: 'float32' | '<f2' | 'bits';
  shape: number[];
  offset: number;
  bytes: number;
}

export interface CheckedMeta {
  lr: number;
  gradNorm: number;
  size: number;
  nearZeroCount: number;
  torchFloat32: { gradRelL2: number; gradMaxAbsRel: number; deltaFlips: number };
}

export interface TrainingFixture {
  model: 'bninception' | 'smallcnn';
  images: string;
  batch: number;
  size: number;
  meanBgr: [number, number, number];
  lossName: 'contrastive' | 'normalized_softmax';
  dataset: string;
  lossParams: Record<string, number>;
  numClasses: number | null;
  labels: number[];
  optimizer: { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number };
  steps: number;
  loss: number[];
  torchFloat32Loss: number[];
  checked: Record<string, CheckedMeta>;
  allGradients: Record<string, { shape: number[]; norm: number; probe: number; torchFloat32NormRel: number }>;
  arrays: Record<string, ArrayEntry>;
  nearZeroFactor: number;
  /** The .bin file's bytes. */
  blob: Buffer;
}

export function readTrainingFixture(name: string): TrainingFixture {
  const doc = JSON.parse(readFileSync(join(TRAINING_FIXTURES, `${name}.json`), 'utf8')) as TrainingFixture;
  doc.blob = readFileSync(join(TRAINING_FIXTURES, `${name}.bin`));
  return doc;
}

/** IEEE half -> number (the fixture stores weight displacements in lr units as float16). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A stored array as numbers: float32 and float16 as values, bits as 0/1. */
export function fixtureArray(fx: TrainingFixture, key: string): Float64Array {
  const e = fx.arrays[key];
  assert.ok(e, `fixture has no array ${key}`);
  const n = e.shape.reduce((a, b) => a * b, 1);
  const bytes = fx.blob.subarray(e.offset, e.offset + e.bytes);
  const out = new Float64Array(n);
  if (e.dtype === 'float32') {
    for (let i = 0; i < n; i++) out[i] = bytes.readFloatLE(i * 4);
  } else if (e.dtype === '<f2') {
    for (let i = 0; i < n; i++) out[i] = halfToNumber(bytes.readUInt16LE(i * 2));
  } else {
    for (let i = 0; i < n; i++) out[i] = (bytes[i >> 3] >> (i & 7)) & 1; // numpy packbits, bitorder little
  }
  return out;
}

/** The fixture's batch as the trainer's HostBatch: the PNG strip cut into images, BGR, minus the mean. */
export async function fixtureBatch(fx: TrainingFixture): Promise<HostBatch> {
  const { data, info } = await sharp(join(TRAINING_FIXTURES, fx.images))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const side = fx.size;
  assert.equal(info.height, side);
  assert.equal(info.width, side * fx.batch);
  const px = side * side * 3;
  const images = new Float32Array(fx.batch * px);
  for (let k = 0; k < fx.batch; k++) {
    const rgb = new Uint8Array(px);
    for (let y = 0; y < side; y++) {
      const from = (y * info.width + k * side) * 3;
      rgb.set(data.subarray(from, from + side * 3), y * side * 3);
    }
    images.set(toNormalisedBgr(rgb, side, side, fx.meanBgr, false), k * px);
  }
  return { images, labels: Int32Array.from(fx.labels), size: fx.batch, crop: side };
}

export function relL2(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  assert.equal(ours.length, ref.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (ours[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

/** max |ours - ref| / max |ref|: catches a local error that the L2 ratio would average away. */
export function maxAbsRel(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(ours[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return d / Math.max(m, 1e-300);
}

export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Elements whose displacement after the steps differs from the reference by more than `atol` lr units. */
export function displacementFlips(
  initial: ArrayLike<number>,
  final: ArrayLike<number>,
  lr: number,
  refDelta: ArrayLike<number>,
  atol: number,
): number[] {
  const flips: number[] = [];
  for (let i = 0; i < refDelta.length; i++) {
    const ours = (final[i] - initial[i]) / lr;
    if (!(Math.abs(ours - refDelta[i]) <= atol)) flips.push(i);
  }
  return flips;
}

/** What a float32 run of 3 training steps gave, by state_dict name (tfjs layouts). */
export interface ThreeStepRun {
  losses: number[];
  firstGradients: Map<string, Float32Array>;
  initial: Map<string, Float32Array>;
  final: Map<string, Float32Array>;
  /** tf.memory().numTensors after each step. */
  tensorsAfterStep: number[];
}

/** Gradient tolerances of one group of tensors. */
export interface GradientTolerance {
  /** Stored tensors: ||g - ref|| / ||ref|| and max |g - ref| / max |ref| of the step-1 gradient. */
  relL2: number;
  maxAbsRel: number;
  /** Every tensor: | ||g|| / ||ref|| - 1 |, and the probe error over ||ref|| / sqrt(12). */
  normRel: number;
  probe: number;
}

/** Tolerances of one comparison; each test states why its numbers are what they are. */
export interface Tolerances {
  /** |loss - ref| / |ref| at step 1, 2, 3 (later steps also carry the earlier steps' differences). */
  lossRel: number[];
  /** The embedder and the class weights (few float32 operations from the loss)... */
  head: GradientTolerance;
  /** ...and everything below them (every layer of the backward pass). */
  trunk: GradientTolerance;
  /** In lr units per step: a weight whose displacement after the steps is further than steps x
   *  this from the reference's is a flip (its gradient's sign came out differently somewhere). */
  atolPerStep: number;
  /** Flips allowed, as a fraction of a tensor's elements (rounded up)... */
  flipFraction: number;
  /** ...and among them those at elements the fixture does NOT mark near zero. */
  farFlipFraction: number;
}

export interface Comparison {
  failures: string[];
  lines: string[];
}

const isHead = (name: string) => name.startsWith('embedder.') || name === 'loss.W';

export function compareRun(fx: TrainingFixture, run: ThreeStepRun, tol: Tolerances): Comparison {
  const failures: string[] = [];
  const lines: string[] = [];
  fx.loss.forEach((ref, i) => {
    const rel = Math.abs(run.losses[i] - ref) / Math.abs(ref);
    lines.push(`loss step ${i + 1}: ${run.losses[i]} vs ${ref} (rel ${rel.toExponential(1)})`);
    if (!(rel <= tol.lossRel[i])) failures.push(`loss at step ${i + 1}: ${run.losses[i]} vs ${ref}, rel ${rel}`);
  });
  let worstNorm = 0;
  let worstProbe = 0;
  for (const [name, ref] of Object.entries(fx.allGradients)) {
    const g = run.firstGradients.get(name);
    if (!g) {
      failures.push(`no gradient for ${name}`);
      continue;
    }
    const t = isHead(name) ? tol.head : tol.trunk;
    const normRel = Math.abs(norm(g) / ref.norm - 1);
    const probe = dot(g, hashedProbe(name, g.length));
    const probeErr = Math.abs(probe - ref.probe) / (ref.norm / Math.sqrt(12));
    worstNorm = Math.max(worstNorm, normRel);
    worstProbe = Math.max(worstProbe, probeErr);
    if (!(normRel <= t.normRel)) failures.push(`${name}: gradient norm ${norm(g)} vs ${ref.norm} (rel ${normRel})`);
    if (!(probeErr <= t.probe)) failures.push(`${name}: gradient probe ${probe} vs ${ref.probe} (err ${probeErr})`);
  }
  lines.push(
    `all ${Object.keys(fx.allGradients).length} gradients: worst norm rel ${worstNorm.toExponential(1)}, ` +
      `worst probe err ${worstProbe.toExponential(1)}`,
  );
  for (const [name, meta] of Object.entries(fx.checked)) {
    const t = isHead(name) ? tol.head : tol.trunk;
    const refGrad = fixtureArray(fx, `${name}/grad`);
    const g = run.firstGradients.get(name)!;
    const rl2 = relL2(g, refGrad);
    const mar = maxAbsRel(g, refGrad);
    const refDelta = fixtureArray(fx, `${name}/delta`);
    const nearZero = fixtureArray(fx, `${name}/nearZero`);
    const flips = displacementFlips(
      run.initial.get(name)!,
      run.final.get(name)!,
      meta.lr,
      refDelta,
      fx.steps * tol.atolPerStep,
    );
    const far = flips.filter((i) => nearZero[i] !== 1);
    lines.push(
      `${name}: grad relL2 ${rl2.toExponential(1)} maxAbsRel ${mar.toExponential(1)} (torch f32 ` +
        `${meta.torchFloat32.gradRelL2.toExponential(1)}, ${meta.torchFloat32.gradMaxAbsRel.toExponential(1)}); ` +
        `flips ${flips.length}/${meta.size}, ${far.length} not near zero (torch f32 ${meta.torchFloat32.deltaFlips}; ` +
        `${meta.nearZeroCount} near zero)`,
    );
    if (!(rl2 <= t.relL2)) failures.push(`${name}: step-1 gradient rel L2 error ${rl2}`);
    if (!(mar <= t.maxAbsRel)) failures.push(`${name}: step-1 gradient max abs error / max ${mar}`);
    const allowed = Math.ceil(tol.flipFraction * meta.size);
    if (flips.length > allowed) {
      const i = flips[0];
      failures.push(
        `${name}: ${flips.length} of ${meta.size} weights moved differently from PyTorch over ${fx.steps} steps ` +
          `(allowed ${allowed}); e.g. [${i}] moved ` +
          `${((run.final.get(name)![i] - run.initial.get(name)![i]) / meta.lr).toFixed(2)} lr, PyTorch ${refDelta[i].toFixed(2)} lr`,
      );
    }
    const allowedFar = Math.ceil(tol.farFlipFraction * meta.size);
    if (far.length > allowedFar) {
      failures.push(
        `${name}: ${far.length} flips where the gradient never came near zero (allowed ${allowedFar}), e.g. [${far[0]}]`,
      );
    }
  }
  return { failures, lines };
}

function hashedProbe(name: string, n: number): Float32Array {
  return hashedValues(`probe/${name}`, 'probe', n);
}

/**
 * `steps` calls of the product's trainStep with the cell's own optimiser, recording the step-1
 * gradients of every trainable tensor and the checked tensors before and after. The class-weight
 * matrix is named 'loss.W' as in the fixture.
 */
export async function runSteps(
  built: CellModel,
  batch: HostBatch,
  checked: string[],
  steps: number,
): Promise<ThreeStepRun> {
  const named = new Map(built.model.namedWeights());
  const lossVars = built.loss.trainableVariables();
  if (lossVars.length) named.set('loss.W', lossVars[0]);
  const byVariable = new Map([...named].map(([n, v]) => [v.name, n]));
  const snapshot = () => new Map(checked.map((n) => [n, Float32Array.from(named.get(n)!.dataSync() as Float32Array)]));
  const initial = snapshot();
  const firstGradients = new Map<string, Float32Array>();
  const losses: number[] = [];
  const tensorsAfterStep: number[] = [];
  for (let s = 0; s < steps; s++) {
    const value = await trainStep(
      built.model,
      built.loss,
      (grads) => {
        if (s === 0)
          for (const [v, g] of Object.entries(grads))
            firstGradients.set(byVariable.get(v) ?? v, Float32Array.from(g.dataSync() as Float32Array));
        built.optimizer.step(grads);
      },
      batch,
    );
    losses.push(value);
    tensorsAfterStep.push(tf.memory().numTensors);
  }
  return { losses, firstGradients, initial, final: snapshot(), tensorsAfterStep };
}

/** The resolved preset has the settings the fixture was made for; if the preset moves, regenerate the fixture. */
export function assertFixtureSettings(config: ExperimentConfig, fx: TrainingFixture): void {
  const { lr, alpha, eps, weightDecay, momentum } = config.optimizer;
  assert.deepEqual({ lr, alpha, eps, weightDecay, momentum }, fx.optimizer, 'optimizer settings');
  assert.deepEqual(
    config.lossParams[fx.dataset as DatasetName]?.[fx.lossName],
    fx.lossParams,
    `${fx.dataset} ${fx.lossName} parameters`,
  );
  assert.equal(config.transform.crop, fx.size);
}

/**
 * The fixture's run on a built cell whose model already holds the fixture's weights: the class
 * weights (normalized softmax) set, `fx.steps` training steps on the fixture's batch, no tensor
 * leaked by a step, and every checked tensor compared within `tol`. Returns the failures.
 */
export async function trainAgainstFixture(built: CellModel, fx: TrainingFixture, tol: Tolerances): Promise<string[]> {
  if (built.loss instanceof NormalizedSoftmaxLoss) {
    const c = fx.numClasses!;
    built.loss.setWeights(tf.tensor2d(hashedValues('loss.W', 'unit', 128 * c), [128, c]));
  }
  const batch = await fixtureBatch(fx);
  const run = await runSteps(built, batch, Object.keys(fx.checked), fx.steps);
  // The optimiser makes its buffers on the first step; after that a step leaves nothing behind.
  assert.deepEqual(run.tensorsAfterStep.slice(1), run.tensorsAfterStep.slice(0, -1), 'steps leak no tensors');
  const { failures, lines } = compareRun(fx, run, tol);
  for (const l of lines) console.log(`  ${l}`);
  return failures;
}
