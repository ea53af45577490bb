/**
 * The three convolution kernels a conv layer's training step needs (forward, input gradient, filter
 * gradient), NHWC with HWIO filters, for 'same', 'valid' or explicit per-side zero padding.
 *
 * Why explicit padding here: PyTorch's convolutions pad symmetrically (e.g. 4x4 stride 2 padding 1),
 * which neither 'same' nor 'valid' expresses, and the 'tensorflow' backend's kernels reject tfjs's
 * explicit paddings. On that backend each op takes the fastest route measured on one CPU thread
 * (scratch timings of the small CNN's four layers, batch 32, TensorFlow 2.21 with oneDNN):
 *  - forward: TensorFlow's Conv2D with padding 'EXPLICIT' (oneDNN does not take explicit padding,
 *    so TF runs its Eigen kernel): 13.6 ms against 16.2 ms for tf.pad + oneDNN 'valid';
 *  - input and filter gradients: the other way round, oneDNN 'valid' on the padded input (then a
 *    slice) beats Eigen's explicit-padding kernels by 1.2x-2.6x (filter gradient of a 32x32x32->64
 *    layer: 6.6 ms against 17.3 ms).
 * Every other backend runs tfjs's kernels, which accept explicit paddings directly.
 *
 * Before any of that, canonicalPadding turns an explicit padding that equals what 'same' or 'valid'
 * does on the given input into that mode: e.g. PyTorch's 4x4 stride-2 padding 1 on an even side is
 * exactly TensorFlow's SAME (2 pixels in all, 1 before). Those modes run all three kernels on
 * oneDNN with no pad copy and no slice: the small CNN's step at 2 threads went from 81 to 62 ms
 * (profiled), its convolutions from 46 to 34 ms.
 */
import * as tf from '@tensorflow/tfjs';

/** [[top, bottom], [left, right]] zero padding. */
export type ExplicitPadding = [[number, number], [number, number]];
export type ConvPadding = 'same' | 'valid' | ExplicitPadding;

/** The parts of tfjs-node's backend used to run a TensorFlow op by name. */
export interface NativeBackend {
  executeSingleOutput(name: string, attrs: NativeAttr[], inputs: tf.Tensor[]): tf.Tensor;
  binding: {
    TF_ATTR_TYPE: number;
    TF_ATTR_INT: number;
    TF_ATTR_STRING: number;
    TF_ATTR_BOOL: number;
    TF_FLOAT: number;
  };
}
export interface NativeAttr {
  name: string;
  type: number;
  value: unknown;
}

/** tfjs-node's backend when it is the active one, else undefined. */
export function activeNativeBackend(): NativeBackend | undefined {
  if (tf.getBackend() !== 'tensorflow') return undefined;
  const b = tf.backend() as unknown as NativeBackend;
  return typeof b.executeSingleOutput === 'function' && b.binding ? b : undefined;
}

export function checkPadding(pad: ConvPadding): void {
  if (pad === 'same' || pad === 'valid') return;
  const ok =
    Array.isArray(pad) &&
    pad.length === 2 &&
    pad.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isInteger(n) && n >= 0));
  if (!ok)
    throw new Error(
      `conv padding must be 'same', 'valid' or [[top, bottom], [left, right]] of integers >= 0, got ` +
        `${JSON.stringify(pad)}`,
    );
}

/** The [before, after] padding TensorFlow's SAME applies on a side of `size`. */
export function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * 'same' or 'valid' when the explicit padding `pad` pads an input of [height, width] exactly as that
 * mode does for this kernel and stride (same output, same zeros in the same places); otherwise `pad`.
 */
export function canonicalPadding(
  size: [number, number],
  kernel: [number, number],
  strides: [number, number],
  pad: ConvPadding,
): ConvPadding {
  if (typeof pad === 'string') return pad;
  if (pad.every(([a, b]) => a === 0 && b === 0)) return 'valid';
  const same = [0, 1].every((d) => {
    const [a, b] = samePadding(size[d], kernel[d], strides[d]);
    return pad[d][0] === a && pad[d][1] === b;
  });
  return same ? 'same' : pad;
}

/** tfjs's explicit padding form (NHWC, batch and channel unpadded). */
function tfjsPad(
  pad: ConvPadding,
): 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  return typeof pad === 'string' ? pad : [[0, 0], pad[0], pad[1], [0, 0]];
}

function nativeAttrs(b: NativeBackend, strides: [number, number], pad: ExplicitPadding): NativeAttr[] {
  const { TF_ATTR_TYPE, TF_ATTR_INT, TF_ATTR_STRING, TF_ATTR_BOOL, TF_FLOAT } = b.binding;
  return [
    { name: 'T', type: TF_ATTR_TYPE, value: TF_FLOAT },
    { name: 'strides', type: TF_ATTR_INT, value: [1, strides[0], strides[1], 1] },
    { name: 'padding', type: TF_ATTR_STRING, value: 'EXPLICIT' },
    { name: 'explicit_paddings', type: TF_ATTR_INT, value: [0, 0, ...pad[0], ...pad[1], 0, 0] },
    { name: 'data_format', type: TF_ATTR_STRING, value: 'NHWC' },
    { name: 'dilations', type: TF_ATTR_INT, value: [1, 1, 1, 1] },
    { name: 'use_cudnn_on_gpu', type: TF_ATTR_BOOL, value: true },
  ];
}

export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, strides: [number, number], pad: ConvPadding): tf.Tensor4D {
  const native = typeof pad === 'string' ? undefined : activeNativeBackend();
  if (native)
    return native.executeSingleOutput('Conv2D', nativeAttrs(native, strides, pad as ExplicitPadding), [
      x,
      filter,
    ]) as tf.Tensor4D;
  return tf.conv2d(x, filter, strides, tfjsPad(pad));
}

/** Gradient of conv2d with respect to its input x (of shape xShape), given the output gradient dy. */
export function conv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  xShape: number[],
  strides: [number, number],
  pad: ConvPadding,
): tf.Tensor4D {
  if (typeof pad === 'string')
    return tf.conv2dTranspose(dy, filter, xShape as [number, number, number, number], strides, pad);
  if (activeNativeBackend()) {
    // oneDNN 'valid' gradient of the padded input, cropped to x (see the header for why not EXPLICIT).
    const [n, h, w, c] = xShape;
    const padded = tf.conv2dTranspose(
      dy,
      filter,
      [n, h + pad[0][0] + pad[0][1], w + pad[1][0] + pad[1][1], c],
      strides,
      'valid',
    );
    const dx = tf.slice(padded, [0, pad[0][0], pad[1][0], 0], xShape) as tf.Tensor4D;
    padded.dispose();
    return dx;
  }
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
    strides,
    pad: tfjsPad(pad),
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    inputShape: xShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** Gradient of conv2d with respect to its filter (of shape filterShape), given the output gradient dy. */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  strides: [number, number],
  pad: ConvPadding,
): tf.Tensor4D {
  if (typeof pad !== 'string' && activeNativeBackend()) {
    // oneDNN 'valid' on the padded input (see the header for why not EXPLICIT).
    const padded = tf.pad(x, [[0, 0], pad[0], pad[1], [0, 0]]);
    const df = filterGradientKernel(padded, dy, filterShape, strides, 'valid');
    padded.dispose();
    return df;
  }
  return filterGradientKernel(x, dy, filterShape, strides, pad);
}

/** tfjs has no public op for it; its conv2d gradient calls this kernel, which every training backend has. */
function filterGradientKernel(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  strides: [number, number],
  pad: ConvPadding,
): tf.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides,
    pad: tfjsPad(pad),
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    filterShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
