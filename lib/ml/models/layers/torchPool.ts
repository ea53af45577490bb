/**
 * PyTorch's MaxPool2d / AvgPool2d semantics (ceil_mode, count_include_pad) on NHWC tfjs tensors.
 *
 * tfjs pools know only 'valid' / 'same' and never count padding, so the PyTorch behaviour is built
 * from explicit padding + a 'valid' pool:
 * - output size (aten pooling_output_shape): out = floor_or_ceil((in + 2p - k) / s) + 1, and in
 *   ceil mode the last window must start inside the input or left padding:
 *   if (out - 1) * s >= in + p then out -= 1.
 * - windows that ceil mode lets run past the padded input are padded further at the bottom/right.
 * - max: padding with the lowest float32, so it never wins (every window holds a real element).
 * - avg: zero padding, sum = valid average * k*k, then divided by aten's divisor: with
 *   count_include_pad, (hend - hstart) * (wend - wstart) where hstart = oh*s - p and
 *   hend = min(hstart + k, in + p), i.e. padding counts but the ceil-mode overhang beyond the padding
 *   does not; without it, the window clipped to the input.
 */
import * as tf from '@tensorflow/tfjs';
import { maxPoolReleasing } from './releasingOps';

export interface PoolSpec {
  kernel: number;
  stride: number;
  padding: number;
  ceilMode: boolean;
}

const LOWEST_FLOAT32 = -3.4028234663852886e38;

export function torchPoolOutputSize(size: number, spec: PoolSpec): number {
  const { kernel: k, stride: s, padding: p, ceilMode } = spec;
  const span = size + 2 * p - k;
  if (span < 0) throw new Error(`pool: kernel ${k} is larger than the padded input ${size + 2 * p}`);
  let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceilMode && (out - 1) * s >= size + p) out -= 1;
  return out;
}

/** [bottom/right extra padding] so that a 'valid' pool over the padded input yields `out` windows. */
function extraPadding(size: number, out: number, spec: PoolSpec): number {
  return Math.max(0, (out - 1) * spec.stride + spec.kernel - (size + 2 * spec.padding));
}

function padded(x: tf.Tensor4D, spec: PoolSpec, value: number): { x: tf.Tensor4D; oh: number; ow: number } {
  const [, h, w] = x.shape;
  const oh = torchPoolOutputSize(h, spec);
  const ow = torchPoolOutputSize(w, spec);
  const p = spec.padding;
  const eh = extraPadding(h, oh, spec);
  const ew = extraPadding(w, ow, spec);
  if (p === 0 && eh === 0 && ew === 0) return { x, oh, ow };
  return {
    x: tf.pad(
      x,
      [
        [0, 0],
        [p, p + eh],
        [p, p + ew],
        [0, 0],
      ],
      value,
    ),
    oh,
    ow,
  };
}

/**
 * The tfjs padding mode that gives PyTorch's max pool on a side of `size` without a padded copy:
 * 'valid' when there is no padding and no ceil-mode overhang; 'same' when TensorFlow's SAME padding
 * (whose padded cells never win a max) puts exactly `padding` before the input and yields the same
 * output size; else undefined (pad explicitly).
 */
function maxPoolMode(size: number, out: number, spec: PoolSpec): 'same' | 'valid' | undefined {
  const { kernel: k, stride: s, padding: p } = spec;
  if (p === 0 && Math.floor((size - k) / s) + 1 === out) return 'valid';
  const sameOut = Math.ceil(size / s);
  const before = Math.floor(Math.max((sameOut - 1) * s + k - size, 0) / 2);
  return sameOut === out && before === p ? 'same' : undefined;
}

/** nn.MaxPool2d(kernel, stride, padding, ceil_mode) on NHWC. */
export function maxPool2dTorch(x: tf.Tensor4D, spec: PoolSpec): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const oh = torchPoolOutputSize(h, spec);
    const ow = torchPoolOutputSize(w, spec);
    const mode = maxPoolMode(h, oh, spec);
    if (mode !== undefined && mode === maxPoolMode(w, ow, spec)) {
      // Saves a padded copy of x (and its gradient) in training.
      const y = maxPoolReleasing(x, spec.kernel, spec.stride, mode);
      checkShape(y, oh, ow);
      return y;
    }
    const { x: xp } = padded(x, spec, LOWEST_FLOAT32);
    const y = tf.maxPool(xp, spec.kernel, spec.stride, 'valid');
    checkShape(y, oh, ow);
    return y;
  });
}

/** nn.AvgPool2d(kernel, stride, padding, ceil_mode, count_include_pad) on NHWC. */
export function avgPool2dTorch(x: tf.Tensor4D, spec: PoolSpec, countIncludePad = true): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const { x: xp, oh, ow } = padded(x, spec, 0);
    const mean = tf.avgPool(xp, spec.kernel, spec.stride, 'valid');
    checkShape(mean, oh, ow);
    const k2 = spec.kernel * spec.kernel;
    const dh = divisors(h, oh, spec, countIncludePad);
    const dw = divisors(w, ow, spec, countIncludePad);
    if (dh.every((d) => d === spec.kernel) && dw.every((d) => d === spec.kernel)) return mean;
    // Rescale: mean over k*k -> sum -> divided by aten's per-window divisor.
    const scale = new Float32Array(oh * ow);
    for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) scale[i * ow + j] = k2 / (dh[i] * dw[j]);
    return mean.mul(tf.tensor4d(scale, [1, oh, ow, 1]));
  });
}

/** Per output row (or column): the window extent aten divides by. */
function divisors(size: number, out: number, spec: PoolSpec, countIncludePad: boolean): number[] {
  const d: number[] = [];
  for (let o = 0; o < out; o++) {
    let start = o * spec.stride - spec.padding;
    let end = Math.min(start + spec.kernel, size + spec.padding);
    if (!countIncludePad) {
      start = Math.max(start, 0);
      end = Math.min(end, size);
    }
    d.push(end - start);
  }
  return d;
}

function checkShape(y: tf.Tensor4D, oh: number, ow: number): void {
  if (y.shape[1] !== oh || y.shape[2] !== ow) {
    throw new Error(`pool: internal size mismatch ${y.shape[1]}x${y.shape[2]} != ${oh}x${ow}`);
  }
}
