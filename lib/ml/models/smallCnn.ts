/**
 * The smoke preset's small CNN: a cheap stand-in for BN-Inception with the same contract
 * (trunk -> global average pooling -> linear embedder -> L2 normalisation).
 *
 * Built from plain tf.Variables and tf ops rather than tf.layers so that every weight has a stable
 * name (checkpoints), initialisation is reproducible from our own seeded Rng (tf.layers draws from
 * its own global generator), and the forward pass is one readable function.
 *
 * Architecture (defaults): input NHWC 64x64x3 scaled by 1/128 (the paper's mean-subtracted 0..255
 * pixels become roughly [-1, 1]); 4 blocks of [3x3 binomial blur] + conv4x4 + bias + ReLU, each conv
 * with stride 2 and one pixel of zero padding on every side, channels width*[1, 2, 4, 4] = 32, 64,
 * 128, 128; global average pooling; Linear to embeddingSize (128); L2 normalisation.
 */
import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../ops/l2Normalize';
import { conv2dBiasRelu } from './layers/convBiasRelu';
import type { ExplicitPadding } from './layers/convOps';
import { Rng } from '../../util/rng';
import type { EmbeddingModel } from './types';

export interface SmallCnnOptions {
  seed: number | string;
  /** Side of the square input (default 64); must be a positive multiple of 16 (4 stride-2 blocks). */
  inputSize?: number;
  /** Channels of the first block (default 32); later blocks use 2x, 4x, 4x. */
  width?: number;
  /** Embedding dimension (default 128). */
  embeddingSize?: number;
  /** How each block halves the resolution (default 'blurred'); see BLUR below. */
  downsampling?: SmallCnnDownsampling;
}

/**
 * 'strided': each block is a 4x4 stride-2 conv. 'blurred': a fixed 3x3 binomial blur of the block's
 * input ([1,2,1] x [1,2,1] / 16, per channel) before the same conv (anti-aliased downsampling, Zhang,
 * "Making Convolutional Networks Shift-Invariant Again", ICML 2019).
 */
export type SmallCnnDownsampling = 'strided' | 'blurred';
export const SMALL_CNN_DOWNSAMPLING: readonly SmallCnnDownsampling[] = ['strided', 'blurred'];

const CHANNEL_MULTIPLIERS = [1, 2, 4, 4];
/**
 * 4x4 kernels, stride 2, one pixel of zero padding on every side. Why not 3x3 'same': with stride 2
 * a 3x3 kernel covers input pixels unevenly (a checkerboard in the input gradients), and TF's 'same'
 * pads only bottom/right on even sizes (a bottom-right bias). Both show up in the attribution maps
 * the study is about; a 4x4 stride-2 kernel covers every pixel the same number of times, symmetric
 * padding removes the bias. Equal coverage is not enough, though: the taps that reach a pixel still
 * depend on its position mod 2, hence the blur (BLUR below). On even sides this padding is exactly TensorFlow's SAME, which conv2dBiasRelu then runs
 * (convOps.canonicalPadding).
 */
const KERNEL = 4;
const PADDING: ExplicitPadding = [
  [1, 1],
  [1, 1],
];
/**
 * Why the blur: the gradient of a stride-2 conv with respect to its input is the upstream gradient
 * spread back through the kernel's taps, and which taps reach a pixel depends on the pixel's
 * position mod 2. With learned (unequal) taps the input gradient is modulated with period 2 per
 * block, period 16 over the 4 blocks: the regular dot grid the smoke report's attention maps showed
 * in every column, whatever the image (docs/attention-grid.md measures it). The binomial blur's
 * response is zero at the period-2 frequency, so it removes that modulation from each block's input
 * gradient; the blur is cheap next to the convs and has no weights.
 */
const BLUR_1D = [1, 2, 1];
/** Maps the paper's mean-subtracted 0..255 pixels to about [-1, 1]. */
const INPUT_SCALE = 1 / 128;

export function createSmallCnn(opts: SmallCnnOptions): EmbeddingModel {
  const inputSize = opts.inputSize ?? 64;
  const width = opts.width ?? 32;
  const embeddingSize = opts.embeddingSize ?? 128;
  if (typeof opts.seed !== 'number' && typeof opts.seed !== 'string') {
    throw new Error(`createSmallCnn: seed must be a number or string, got ${typeof opts.seed}`);
  }
  if (!Number.isInteger(inputSize) || inputSize <= 0 || inputSize % 16 !== 0) {
    throw new Error(`createSmallCnn: inputSize must be a positive multiple of 16, got ${inputSize}`);
  }
  if (!Number.isInteger(width) || width <= 0)
    throw new Error(`createSmallCnn: width must be a positive integer, got ${width}`);
  if (!Number.isInteger(embeddingSize) || embeddingSize <= 0) {
    throw new Error(`createSmallCnn: embeddingSize must be a positive integer, got ${embeddingSize}`);
  }
  const downsampling = opts.downsampling ?? 'blurred';
  if (!SMALL_CNN_DOWNSAMPLING.includes(downsampling)) {
    throw new Error(
      `createSmallCnn: downsampling must be one of ${SMALL_CNN_DOWNSAMPLING.join(', ')}, got ${JSON.stringify(downsampling)}`,
    );
  }

  const root = Rng.fromSeed(opts.seed);
  const weights = new Map<string, tf.Variable>();
  // Each weight draws from its own stream derived by name, so changing one layer's shape never
  // changes another layer's initial values.
  const add = (name: string, shape: number[], draw: (rng: Rng) => number): tf.Variable => {
    const rng = root.derive('smallCnn', name);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = draw(rng);
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true));
    weights.set(name, v);
    return v;
  };

  const blocks: Array<{ filter: tf.Variable; bias: tf.Variable; blur?: tf.Tensor4D }> = [];
  let cin = 3;
  CHANNEL_MULTIPLIERS.forEach((m, i) => {
    const cout = width * m;
    const std = Math.sqrt(2 / (KERNEL * KERNEL * cin)); // He-normal, fan-in, for ReLU
    blocks.push({
      filter: add(`block${i + 1}.conv.weight`, [KERNEL, KERNEL, cin, cout], (r) => std * r.normal()),
      bias: add(`block${i + 1}.conv.bias`, [cout], () => 0),
      blur: downsampling === 'blurred' ? blurKernel(cin) : undefined,
    });
    cin = cout;
  });
  // PyTorch nn.Linear default: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  const bound = 1 / Math.sqrt(cin);
  const embedW = add('embedder.weight', [cin, embeddingSize], (r) => r.uniformIn(-bound, bound));
  const embedB = add('embedder.bias', [embeddingSize], (r) => r.uniformIn(-bound, bound));

  let disposed = false;
  return {
    name: 'small_cnn',
    inputSize,
    embeddingSize,
    embed(images: tf.Tensor4D): tf.Tensor2D {
      if (disposed) throw new Error('small_cnn: embed called after dispose');
      const [, h, w, c] = images.shape;
      if (images.rank !== 4 || h !== inputSize || w !== inputSize || c !== 3) {
        throw new Error(`small_cnn: expected images [N,${inputSize},${inputSize},3], got [${images.shape.join(',')}]`);
      }
      return tf.tidy(() => {
        let x = tf.mul(images, INPUT_SCALE) as tf.Tensor4D;
        // One taped op per block (conv + bias + ReLU): less memory and ~30% faster steps (layers/convBiasRelu.ts).
        for (const b of blocks) {
          if (b.blur) x = tf.depthwiseConv2d(x, b.blur, 1, 'same');
          x = conv2dBiasRelu(x, b.filter as tf.Tensor4D, b.bias as tf.Tensor1D, 2, PADDING);
        }
        const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
        const e = tf.add(tf.matMul(pooled, embedW as tf.Tensor2D), embedB) as tf.Tensor2D;
        return l2Normalize(e);
      });
    },
    trainableVariables: () => [...weights.values()],
    namedWeights: () => new Map(weights),
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const v of weights.values()) v.dispose();
      for (const b of blocks) b.blur?.dispose();
    },
  };
}

/** The 3x3 binomial blur as a depthwise filter [3, 3, channels, 1] (not a weight: never trained or saved). */
function blurKernel(channels: number): tf.Tensor4D {
  const values = new Float32Array(9 * channels);
  const sum = BLUR_1D.reduce((a, b) => a + b, 0) ** 2;
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 3; x++)
      for (let c = 0; c < channels; c++) values[(y * 3 + x) * channels + c] = (BLUR_1D[y] * BLUR_1D[x]) / sum;
  return tf.tensor4d(values, [3, 3, channels, 1]);
}
