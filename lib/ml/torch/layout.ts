/**
 * Between PyTorch's tensor layouts and tfjs's: conv filters [out, in, kh, kw] <-> [kh, kw, in, out],
 * linear weights [out, in] <-> [in, out]; every other tensor (biases, BatchNorm vectors) is the same.
 * `torchShape` is always the PyTorch shape. Both directions walk the same index pairs
 * (forEachIndexPair), so they are exact inverses.
 */

/** Calls `pair(torchIndex, tfIndex)` for every element of a tensor of PyTorch shape `torchShape`. */
function forEachIndexPair(torchShape: number[], pair: (torch: number, tf: number) => void): void {
  if (torchShape.length === 4) {
    const [o, i, h, w] = torchShape;
    for (let a = 0; a < o; a++)
      for (let b = 0; b < i; b++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) pair(((a * i + b) * h + y) * w + x, ((y * w + x) * i + b) * o + a);
  } else {
    const [o, i] = torchShape;
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) pair(a * i + b, b * o + a);
  }
}

const transposed = (rank: number) => rank === 4 || rank === 2;

export function torchToTfLayout(data: Float32Array, torchShape: number[]): { data: Float32Array; shape: number[] } {
  if (!transposed(torchShape.length)) return { data, shape: torchShape };
  const out = new Float32Array(data.length);
  forEachIndexPair(torchShape, (torch, tf) => (out[tf] = data[torch]));
  const [o, i, h, w] = torchShape;
  return { data: out, shape: torchShape.length === 4 ? [h, w, i, o] : [i, o] };
}

export function tfToTorchLayout(data: Float32Array, torchShape: number[]): Float32Array {
  if (!transposed(torchShape.length)) return Float32Array.from(data);
  const out = new Float32Array(data.length);
  forEachIndexPair(torchShape, (torch, tf) => (out[torch] = data[tf]));
  return out;
}
