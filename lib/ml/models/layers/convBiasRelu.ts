/**
 * relu(conv2d(x, filter) + bias) as ONE taped op, for training memory and speed.
 *
 * Why not tf ops: inside tf.variableGrads every intermediate of the forward pass stays alive until
 * the whole backward pass ends, so conv -> add -> relu keeps three full-size activations per layer
 * (tf.fused.conv2d does not help: tfjs falls back to the unfused ops whenever a gradient is being
 * recorded and the activation is not linear). This op keeps only its output y, and its gradient
 * derives relu's mask from y (y > 0 exactly where conv + bias > 0), as PyTorch's threshold_backward does.
 *
 * Gradients are thunks per input, so nothing is computed for an input that needs none (the images,
 * when training). The masked gradient g = dy * (y > 0) is computed once and shared by the x, filter
 * and bias gradients; tfjs evaluates a node's input gradients in the order of its inputs (x, filter,
 * bias), so the bias gradient, which always comes last when the weights train, frees g and dy (and
 * the gradients the consumers of y contributed, see gradientRelease.ts): the backward pass then holds
 * a few gradients instead of all of them. When only the input's
 * gradient is asked for (attention maps), the tape frees them at its end as usual.
 *
 * Padding: 'same', 'valid' or explicit per-side zero padding (convOps.ts: PyTorch's symmetric
 * padding without a tf.pad copy); torchConvPadding maps PyTorch's padding onto them.
 */
import * as tf from '@tensorflow/tfjs';
import {
  activeNativeBackend,
  canonicalPadding,
  checkPadding,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  samePadding,
  type ConvPadding,
} from './convOps';
import { contributed, release } from './gradientRelease';

const KERNEL = 'BgbiasConv2DBiasRelu';

interface Attrs {
  strides: [number, number];
  pad: ConvPadding;
}

/** tfjs kernels are registered per backend name; this one is built from tf ops, so it runs on any. */
function ensureKernel(backendName: string): void {
  if (tf.getKernel(KERNEL, backendName)) return;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName,
    kernelFunc: ({ inputs, attrs }) => {
      const { x, filter, bias } = inputs as unknown as { x: tf.Tensor4D; filter: tf.Tensor4D; bias: tf.Tensor1D };
      const { strides, pad } = attrs as unknown as Attrs;
      // Nested ops inside a kernel are not taped; their temporaries are freed here.
      const conv = conv2d(x, filter, strides, pad);
      const shifted = tf.add(conv, bias);
      conv.dispose();
      const y = tf.relu(shifted);
      shifted.dispose();
      return y as unknown as tf.TensorInfo;
    },
  });
}

let gradientRegistered = false;
function ensureGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as tf.Tensor4D;
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const { strides, pad } = attrs as unknown as Attrs;
      // Shared by the three thunks. Made here, in the backward pass's scope, so the tape frees it at
      // its end when the bias thunk does not run (input gradient only).
      const masked = reluGrad(dy, y);
      return {
        x: () => contributed(x, conv2dBackpropInput(masked, filter, x.shape, strides, pad)),
        filter: () => conv2dBackpropFilter(x, masked, filter.shape, strides, pad),
        bias: () => {
          const db = tf.sum(masked, [0, 1, 2]);
          // Last of this node's gradients: dy (used only by this node) and g are no longer needed.
          masked.dispose();
          release(y, dy);
          return db;
        },
      };
    },
  });
}

/**
 * dy where y > 0, else 0. tfjs's generic form dy * step(y) costs five full-size temporaries on the
 * 'tensorflow' backend (its Step kernel is isNaN + greater + ones + fill + select) and was 11% of a
 * BN-Inception step; there TensorFlow's own ReluGrad does it in one pass.
 */
function reluGrad(dy: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  const b = activeNativeBackend();
  if (b)
    return b.executeSingleOutput(
      'ReluGrad',
      [{ name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }],
      [dy, y],
    ) as tf.Tensor4D;
  return tf.mul(dy, tf.step(y)) as tf.Tensor4D;
}

/** relu(conv2d(x, filter, stride, pad) + bias), NHWC, HWIO filter, one bias per output channel. */
export function conv2dBiasRelu(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  stride: number,
  pad: ConvPadding,
): tf.Tensor4D {
  checkPadding(pad);
  if (x.shape[3] !== filter.shape[2]) {
    throw new Error(`conv2dBiasRelu: input has ${x.shape[3]} channels, filter expects ${filter.shape[2]}`);
  }
  if (bias.rank !== 1 || bias.shape[0] !== filter.shape[3]) {
    throw new Error(`conv2dBiasRelu: bias shape [${bias.shape}] does not match ${filter.shape[3]} output channels`);
  }
  ensureKernel(tf.getBackend());
  ensureGradient();
  const strides: [number, number] = [stride, stride];
  const attrs: Attrs = {
    strides,
    pad: canonicalPadding([x.shape[1], x.shape[2]], [filter.shape[0], filter.shape[1]], strides, pad),
  };
  return tf.engine().runKernel(KERNEL, { x, filter, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * How to run PyTorch's Conv2d(kernel, stride, padding p) on a side of `size` with tfjs padding modes:
 * 'same' when TensorFlow's SAME padding puts exactly p before the input and yields PyTorch's output
 * size, 'valid' when p is 0; otherwise the explicit [before, after] padding to apply first (then 'valid').
 */
export function torchConvPadding(
  size: number,
  kernel: number,
  stride: number,
  p: number,
): 'same' | 'valid' | [number, number] {
  const out = Math.floor((size + 2 * p - kernel) / stride) + 1;
  if (out < 1) throw new Error(`conv: kernel ${kernel} with padding ${p} does not fit an input of ${size}`);
  if (Math.ceil(size / stride) === out && samePadding(size, kernel, stride)[0] === p) return 'same';
  if (p === 0) return 'valid';
  return [p, Math.max(0, (out - 1) * stride + kernel - size - p)];
}
