/**
 * Between PyTorch's tensor layouts and tfjs's: conv filters [out, in, kh, kw] <-> [kh, kw, in, out],
 * linear weights [out, in] <-> [in, out]; every other tensor (biases, BatchNorm vectors) is the same.
 * `torchShape` is always the PyTorch shape, so the two directions are exact inverses.
 */

export function torchToTfLayout(data: Float32Array, torchShape: number[]): { data: Float32Array; shape: number[] } {
  if (torchShape.length === 4) {
    const [o, i, h, w] = torchShape;
    const out = new Float32Array(data.length);
    for (let a = 0; a < o; a++)
      for (let b = 0; b < i; b++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) out[((y * w + x) * i + b) * o + a] = data[((a * i + b) * h + y) * w + x];
    return { data: out, shape: [h, w, i, o] };
  }
  if (torchShape.length === 2) {
    const [o, i] = torchShape;
    const out = new Float32Array(data.length);
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[b * o + a] = data[a * i + b];
    return { data: out, shape: [i, o] };
  }
  return { data, shape: torchShape };
}

export function tfToTorchLayout(data: Float32Array, torchShape: number[]): Float32Array {
  if (torchShape.length === 4) {
    const [o, i, h, w] = torchShape;
    const out = new Float32Array(data.length);
    for (let a = 0; a < o; a++)
      for (let b = 0; b < i; b++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) out[((a * i + b) * h + y) * w + x] = data[((y * w + x) * i + b) * o + a];
    return out;
  }
  if (torchShape.length === 2) {
    const [o, i] = torchShape;
    const out = new Float32Array(data.length);
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[a * i + b] = data[b * o + a];
    return out;
  }
  return Float32Array.from(data);
}
