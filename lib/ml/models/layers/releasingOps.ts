/**
 * Channel concatenation and max pooling as taped ops whose gradients free what they consumed
 * (see gradientRelease.ts): the same values and gradients as tf.concat(xs, 3) and tf.maxPool, but
 * during training their incoming gradient, and the gradients their consumers contributed to their
 * output, are freed as soon as the input gradients are computed instead of at the end of the backward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { contributed, release } from './gradientRelease';

const CONCAT = 'BgbiasConcatChannels';
const MAX_POOL = 'BgbiasMaxPool';

interface PoolAttrs {
  filterSize: number;
  strides: number;
  pad: 'same' | 'valid';
}

const registered = new Set<string>();
let gradientsRegistered = false;

function ensureKernels(backendName: string): void {
  if (registered.has(backendName)) return;
  registered.add(backendName);
  if (!tf.getKernel(CONCAT, backendName)) {
    tf.registerKernel({
      kernelName: CONCAT,
      backendName,
      kernelFunc: ({ inputs }) => tf.concat(Object.values(inputs) as tf.Tensor4D[], 3) as unknown as tf.TensorInfo,
    });
  }
  if (!tf.getKernel(MAX_POOL, backendName)) {
    tf.registerKernel({
      kernelName: MAX_POOL,
      backendName,
      kernelFunc: ({ inputs, attrs }) => {
        const { filterSize, strides, pad } = attrs as unknown as PoolAttrs;
        return tf.maxPool(
          (inputs as unknown as { x: tf.Tensor4D }).x,
          filterSize,
          strides,
          pad,
        ) as unknown as tf.TensorInfo;
      },
    });
  }
  if (gradientsRegistered) return; // gradients are backend-independent
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: CONCAT,
    saveAllInputs: false,
    outputsToSave: [true],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as tf.Tensor4D;
      const [y] = saved;
      const sizes = (attrs as unknown as { sizes: number[] }).sizes;
      const pieces = tf.split(dy, sizes, 3);
      release(y, dy);
      const out: Record<string, () => tf.Tensor> = {};
      pieces.forEach((p, i) => (out[`x${i}`] = () => p));
      return out;
    },
  });
  tf.registerGradient({
    kernelName: MAX_POOL,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as tf.Tensor4D;
      const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { filterSize, strides, pad } = attrs as unknown as PoolAttrs;
      return {
        x: () => {
          const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, {
            filterSize,
            strides,
            pad,
            dimRoundingMode: undefined,
          } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
          release(y, dy);
          return contributed(x, dx);
        },
      };
    },
  });
}

/** tf.concat(xs, 3), freeing its gradients early in training. */
export function concatChannels(xs: tf.Tensor4D[]): tf.Tensor4D {
  if (xs.length === 0) throw new Error('concatChannels: no tensors');
  ensureKernels(tf.getBackend());
  const inputs: Record<string, tf.Tensor> = {};
  xs.forEach((x, i) => (inputs[`x${i}`] = x));
  const attrs = { sizes: xs.map((x) => x.shape[3]) };
  return tf.engine().runKernel(CONCAT, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** tf.maxPool(x, filterSize, strides, pad) with square windows, freeing its gradients early in training. */
export function maxPoolReleasing(
  x: tf.Tensor4D,
  filterSize: number,
  strides: number,
  pad: 'same' | 'valid',
): tf.Tensor4D {
  ensureKernels(tf.getBackend());
  const attrs: PoolAttrs = { filterSize, strides, pad };
  return tf.engine().runKernel(MAX_POOL, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
