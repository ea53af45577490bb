/**
 * BN-Inception as in Cadene's pretrainedmodels 0.7.4 (bninception.py), with the reference
 * implementation's head: global average pooling -> 1024, Linear(1024 -> embeddingSize), L2 norm.
 *
 * Port details (docs/protocol.md section 6): every conv has a bias and is followed by BatchNorm
 * (eps 1e-5, frozen: ./layers/frozenBatchNorm.ts) and ReLU;
 * stride-2 max pools use ceil_mode; inception pool branches are AvgPool2d(3, 1, 1, ceil_mode,
 * count_include_pad) except block 5b's MaxPool2d(3, 1, 1); the 3c/4e blocks reduce with stride-2
 * convs plus MaxPool2d(3, 2, ceil_mode). Cadene's global pool is AvgPool2d(7) over the 7x7 map of a
 * 224/227 input; we take the spatial mean, which is the same there and also works for the smaller
 * inputs the tests use.
 *
 * Weights are named by the PyTorch state_dict keys ('conv1_7x7_s2.weight', 'conv1_7x7_s2_bn.running_mean',
 * 'embedder.weight', ...) and stored in tfjs layouts: conv OIHW -> HWIO, Linear [out, in] -> [in, out].
 */
import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../ops/l2Normalize';
import { Rng } from '../../util/rng';
import { conv2dBiasRelu, torchConvPadding } from './layers/convBiasRelu';
import { samePadding, type ConvPadding } from './layers/convOps';
import { foldFrozenBatchNorm, isFrozenBatchNormStatistic } from './layers/frozenBatchNorm';
import { concatChannels } from './layers/releasingOps';
import { avgPool2dTorch, maxPool2dTorch, type PoolSpec } from './layers/torchPool';
import type { EmbeddingModel } from './types';
import { torchToTfLayout } from '../torch/layout';

export interface TorchWeight {
  shape: number[];
  data: Float32Array;
}

export interface BnInceptionOptions {
  /** PyTorch state_dict tensors (e.g. from loadBnInceptionWeights). Trunk keys are then all required;
   *  missing 'embedder.*' keys are initialised from the seed. Without weights everything is seeded. */
  weights?: Map<string, TorchWeight>;
  seed?: number | string;
  embeddingSize?: number;
  /** Nominal input side (227 in the paper); see bnInceptionSupportsInput. */
  inputSize?: number;
}

const BN_EPS = 1e-5;

interface ConvSpec {
  name: string;
  inC: number;
  outC: number;
  k: number;
  stride: number;
  pad: number;
}

/** Inception blocks with all four branches: [in, 1x1, 3x3 reduce, 3x3, double reduce, double, pool proj, pool kind]. */
const FULL_BLOCKS: Array<[string, number, number, number, number, number, number, number, 'avg' | 'max']> = [
  ['3a', 192, 64, 64, 64, 64, 96, 32, 'avg'],
  ['3b', 256, 64, 64, 96, 64, 96, 64, 'avg'],
  ['4a', 576, 224, 64, 96, 96, 128, 128, 'avg'],
  ['4b', 576, 192, 96, 128, 96, 128, 128, 'avg'],
  ['4c', 576, 160, 128, 160, 128, 160, 128, 'avg'],
  ['4d', 608, 96, 128, 192, 160, 192, 128, 'avg'],
  ['5a', 1056, 352, 192, 320, 160, 224, 128, 'avg'],
  ['5b', 1024, 352, 192, 320, 192, 224, 128, 'max'],
];
/** Reduction blocks: [in, 3x3 reduce, 3x3 (stride 2), double reduce, double (last stride 2)]. */
const REDUCTION_BLOCKS: Array<[string, number, number, number, number, number]> = [
  ['3c', 320, 128, 160, 64, 96],
  ['4e', 608, 128, 192, 192, 256],
];

const conv = (name: string, inC: number, outC: number, k: number, stride = 1, pad = k === 3 ? 1 : 0): ConvSpec => ({
  name,
  inC,
  outC,
  k,
  stride,
  pad,
});

function fullBlockConvs(b: (typeof FULL_BLOCKS)[number]): ConvSpec[] {
  const [id, inC, c1, r3, c3, rd, cd, pp] = b;
  const p = `inception_${id}`;
  return [
    conv(`${p}_1x1`, inC, c1, 1),
    conv(`${p}_3x3_reduce`, inC, r3, 1),
    conv(`${p}_3x3`, r3, c3, 3),
    conv(`${p}_double_3x3_reduce`, inC, rd, 1),
    conv(`${p}_double_3x3_1`, rd, cd, 3),
    conv(`${p}_double_3x3_2`, cd, cd, 3),
    conv(`${p}_pool_proj`, inC, pp, 1),
  ];
}

function reductionBlockConvs(b: (typeof REDUCTION_BLOCKS)[number]): ConvSpec[] {
  const [id, inC, r3, c3, rd, cd] = b;
  const p = `inception_${id}`;
  return [
    conv(`${p}_3x3_reduce`, inC, r3, 1),
    conv(`${p}_3x3`, r3, c3, 3, 2),
    conv(`${p}_double_3x3_reduce`, inC, rd, 1),
    conv(`${p}_double_3x3_1`, rd, cd, 3),
    conv(`${p}_double_3x3_2`, cd, cd, 3, 2),
  ];
}

/** Every conv of the trunk in Cadene's registration order. */
export function bnInceptionConvs(): ConvSpec[] {
  const out: ConvSpec[] = [
    conv('conv1_7x7_s2', 3, 64, 7, 2, 3),
    conv('conv2_3x3_reduce', 64, 64, 1),
    conv('conv2_3x3', 64, 192, 3),
  ];
  const order = ['3a', '3b', '3c', '4a', '4b', '4c', '4d', '4e', '5a', '5b'];
  for (const id of order) {
    const full = FULL_BLOCKS.find((b) => b[0] === id);
    out.push(...(full ? fullBlockConvs(full) : reductionBlockConvs(REDUCTION_BLOCKS.find((b) => b[0] === id)!)));
  }
  return out;
}

/** PyTorch state_dict names and shapes the model expects (num_batches_tracked excluded). */
export function bnInceptionParameterShapes(embeddingSize = 128): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const c of bnInceptionConvs()) {
    m.set(`${c.name}.weight`, [c.outC, c.inC, c.k, c.k]);
    m.set(`${c.name}.bias`, [c.outC]);
    for (const s of ['weight', 'bias', 'running_mean', 'running_var']) m.set(`${c.name}_bn.${s}`, [c.outC]);
  }
  m.set('embedder.weight', [embeddingSize, 1024]);
  m.set('embedder.bias', [embeddingSize]);
  return m;
}

/**
 * Whether a square side runs through the trunk as in PyTorch: the 3c and 4e blocks concatenate a
 * stride-2 conv (pad 1) with a ceil-mode 3x3 max pool, whose outputs agree only on even maps, and
 * 4e's pool needs a map of at least 3.
 */
export function bnInceptionSupportsInput(side: number): boolean {
  if (!Number.isInteger(side) || side < 8) return false;
  const conv = (n: number, k: number, s: number, p: number): number => Math.floor((n + 2 * p - k) / s) + 1;
  const pool = (n: number): number => {
    let out = Math.ceil((n - 3) / 2) + 1;
    if ((out - 1) * 2 >= n) out -= 1;
    return out;
  };
  const m3c = pool(pool(conv(side, 7, 2, 3)));
  // 3c needs an even map; its output (half) is 4e's input, which must be even and >= 4.
  return m3c % 4 === 0 && m3c >= 8;
}

/** PyTorch's default init for one parameter (conv / linear: kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))). */
function defaultInit(name: string, shape: number[], rng: Rng): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (name.endsWith('_bn.weight') || name.endsWith('_bn.running_var')) return out.fill(1);
  if (name.includes('_bn.')) return out; // beta, running_mean: zeros
  const fanIn = name.startsWith('embedder.') ? 1024 : fanInOfConv(name);
  const bound = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < n; i++) out[i] = rng.uniformIn(-bound, bound);
  return out;
}

const CONV_BY_NAME = new Map(bnInceptionConvs().map((c) => [c.name, c]));
function fanInOfConv(param: string): number {
  const c = CONV_BY_NAME.get(param.replace(/\.(weight|bias)$/, ''));
  if (!c) throw new Error(`no conv for parameter ${param}`);
  return c.inC * c.k * c.k;
}

export function createBnInception(opts: BnInceptionOptions = {}): EmbeddingModel {
  const embeddingSize = opts.embeddingSize ?? 128;
  const inputSize = opts.inputSize ?? 227;
  if (!Number.isInteger(embeddingSize) || embeddingSize <= 0) {
    throw new Error(`createBnInception: embeddingSize must be a positive integer, got ${embeddingSize}`);
  }
  if (!bnInceptionSupportsInput(inputSize)) {
    throw new Error(`createBnInception: inputSize ${inputSize} does not fit BN-Inception (e.g. 67, 224, 227 do)`);
  }
  const shapes = bnInceptionParameterShapes(embeddingSize);
  const given = opts.weights;
  if (given) checkGivenWeights(given, shapes);
  const root = Rng.fromSeed(opts.seed ?? 0);

  const vars = new Map<string, tf.Variable>();
  for (const [name, shape] of shapes) {
    const w = given?.get(name);
    const raw = w ? w.data : defaultInit(name, shape, root.derive('bnInception', name));
    const tfw = torchToTfLayout(raw, shape);
    const trainable = !isFrozenBatchNormStatistic(name);
    vars.set(
      name,
      tf.tidy(() => tf.variable(tf.tensor(tfw.data, tfw.shape, 'float32'), trainable)),
    );
  }
  const v = (name: string): tf.Variable => vars.get(name)!;

  /** Each conv with its frozen BatchNorm folded in (./layers/frozenBatchNorm.ts). */
  const folded = (c: ConvSpec): { filter: tf.Tensor4D; shift: tf.Tensor1D } => {
    const bn = `${c.name}_bn`;
    return foldFrozenBatchNorm(v(`${c.name}.weight`) as tf.Tensor4D, v(`${c.name}.bias`) as tf.Tensor1D, {
      gamma: v(`${bn}.weight`) as tf.Tensor1D,
      beta: v(`${bn}.bias`) as tf.Tensor1D,
      runningMean: v(`${bn}.running_mean`) as tf.Tensor1D,
      runningVar: v(`${bn}.running_var`) as tf.Tensor1D,
      eps: BN_EPS,
    });
  };
  /** PyTorch's symmetric conv padding as a tfjs mode, or explicitly where no mode matches. */
  const padFor = (x: tf.Tensor4D, c: ConvSpec): ConvPadding => {
    const [, h, w] = x.shape;
    const ph = torchConvPadding(h, c.k, c.stride, c.pad);
    const pw = torchConvPadding(w, c.k, c.stride, c.pad);
    if (typeof ph === 'string' && ph === pw) return ph;
    const explicit = (m: typeof ph, size: number): [number, number] => {
      if (typeof m !== 'string') return m;
      return m === 'valid' ? [0, 0] : samePadding(size, c.k, c.stride);
    };
    return [explicit(ph, h), explicit(pw, w)];
  };
  const convBnRelu = (x: tf.Tensor4D, c: ConvSpec): tf.Tensor4D => {
    const { filter, shift } = folded(c);
    return conv2dBiasRelu(x, filter, shift, c.stride, padFor(x, c));
  };
  /**
   * Inception pool branch relu(bn(conv1x1(avgPool(x)))) computed as relu(avgPool(conv1x1(x)) + shift):
   * a 1x1 conv and a zero-padded average pool (count_include_pad) are both linear and commute, so the
   * pool runs on the projection's 32-128 channels instead of the block's 192-1056 input channels. The
   * shift is added after the pool because pooling a constant is not constant at the zero-padded border.
   */
  const avgPoolProjection = (x: tf.Tensor4D, c: ConvSpec): tf.Tensor4D => {
    const { filter, shift } = folded(c);
    const projected = tf.conv2d(x, filter, 1, 'valid');
    return tf.relu(tf.add(avgPool2dTorch(projected, branchPool, true), shift)) as tf.Tensor4D;
  };
  const byName = CONV_BY_NAME;
  const c = (name: string): ConvSpec => byName.get(name)!;
  const stridedMax: PoolSpec = { kernel: 3, stride: 2, padding: 0, ceilMode: true };
  const branchPool: PoolSpec = { kernel: 3, stride: 1, padding: 1, ceilMode: true };

  const features = (x: tf.Tensor4D): tf.Tensor2D => {
    let h = convBnRelu(x, c('conv1_7x7_s2'));
    h = maxPool2dTorch(h, stridedMax);
    h = convBnRelu(convBnRelu(h, c('conv2_3x3_reduce')), c('conv2_3x3'));
    h = maxPool2dTorch(h, stridedMax);
    for (const id of ['3a', '3b', '3c', '4a', '4b', '4c', '4d', '4e', '5a', '5b']) {
      const p = `inception_${id}`;
      const three = convBnRelu(convBnRelu(h, c(`${p}_3x3_reduce`)), c(`${p}_3x3`));
      const dbl = convBnRelu(
        convBnRelu(convBnRelu(h, c(`${p}_double_3x3_reduce`)), c(`${p}_double_3x3_1`)),
        c(`${p}_double_3x3_2`),
      );
      if (id === '3c' || id === '4e') {
        h = concatChannels([three, dbl, maxPool2dTorch(h, stridedMax)]);
      } else {
        const one = convBnRelu(h, c(`${p}_1x1`));
        const pool =
          id === '5b'
            ? convBnRelu(maxPool2dTorch(h, branchPool), c(`${p}_pool_proj`))
            : avgPoolProjection(h, c(`${p}_pool_proj`));
        h = concatChannels([one, three, dbl, pool]);
      }
    }
    return tf.mean(h, [1, 2]) as tf.Tensor2D;
  };

  const trainable = [...vars.entries()].filter(([, t]) => t.trainable).map(([, t]) => t);
  let disposed = false;
  return {
    name: 'bninception',
    inputSize,
    embeddingSize,
    embed(images: tf.Tensor4D): tf.Tensor2D {
      if (disposed) throw new Error('bninception: model was disposed');
      if (images.rank !== 4 || images.shape[3] !== 3) {
        throw new Error(`bninception.embed: expected [N,H,W,3] images, got ${JSON.stringify(images.shape)}`);
      }
      for (const side of [images.shape[1], images.shape[2]]) {
        if (!bnInceptionSupportsInput(side)) {
          throw new Error(
            `bninception.embed: input ${images.shape[1]}x${images.shape[2]} does not fit BN-Inception: ` +
              `the 3c/4e reduction blocks need even maps of at least 4 (e.g. 67, 224, 227)`,
          );
        }
      }
      return tf.tidy(() => {
        const e = features(images).matMul(v('embedder.weight')).add(v('embedder.bias'));
        // F.normalize(p=2, dim=1): x / max(||x||, eps)
        return l2Normalize(e as tf.Tensor2D);
      });
    },
    trainableVariables: () => trainable.slice(),
    namedWeights: () => new Map(vars),
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const t of vars.values()) t.dispose();
    },
  };
}

function checkGivenWeights(given: Map<string, TorchWeight>, shapes: Map<string, number[]>): void {
  const problems = bnInceptionWeightProblems(given, shapes);
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).join('; ');
    throw new Error(
      `createBnInception: weights do not match BN-Inception (${problems.length} problem(s)): ` +
        `${shown}${problems.length > 8 ? '; ...' : ''}`,
    );
  }
}

/**
 * Every way a state_dict does not fit the model, one line per tensor ('name: shape [..] (n values),
 * expected [..]', 'missing name [..]', 'unexpected weight name'). The embedder may be missing (the
 * ImageNet file has none: it is initialised from the seed); Cadene's last_linear and
 * num_batches_tracked are ignored.
 */
export function bnInceptionWeightProblems(
  given: Map<string, TorchWeight>,
  shapes: Map<string, number[]> = bnInceptionParameterShapes(),
): string[] {
  const problems: string[] = [];
  for (const [name, shape] of shapes) {
    const w = given.get(name);
    if (!w) {
      if (!name.startsWith('embedder.')) problems.push(`missing ${name} ${JSON.stringify(shape)}`);
      continue;
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (w.shape.join(',') !== shape.join(',') || w.data.length !== n) {
      problems.push(
        `${name}: shape ${JSON.stringify(w.shape)} (${w.data.length} values), expected ${JSON.stringify(shape)}`,
      );
    }
  }
  for (const name of given.keys()) {
    if (!shapes.has(name) && !name.startsWith('last_linear.') && !name.endsWith('.num_batches_tracked')) {
      problems.push(`unexpected weight ${name}`);
    }
  }
  return problems;
}
