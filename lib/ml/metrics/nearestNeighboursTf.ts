/**
 * The same k-nearest-neighbour lists as selfNearestNeighbours (nearestNeighbours.ts), with the dot
 * products of each query block against all rows computed by tfjs (tf.matMul): on the native
 * 'tensorflow' backend that is ~25 GMAC/s on one core against ~2 GMAC/s for the JavaScript kernel.
 *
 * Why the result is identical, ties included: float32 matMul dots carry rounding error, so they only
 * select CANDIDATES. With e a bound on |approx - exact| squared distance, every entry of the exact
 * top-kk has approx <= t + 2e, where t is the kk-th smallest approx distance of the row. All such
 * candidates (usually just kk of them) get their exact float64 distance from the very routine the
 * JavaScript path uses, and the final order is (exact distance, index) as there.
 * e = 2 * dim * 2^-24 * max|x|^2 bounds float32 dot-product error for any summation order.
 *
 * Memory: one block of blockSize x N float32 dots at a time (512 x 60,502 = 124 MB), plus the input
 * as a tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { exactSqDistance, type KnnOptions, type NeighbourLists } from './nearestNeighbours';

export async function selfNearestNeighboursTf(
  x: Float32Array,
  dim: number,
  kk: number,
  opts: KnnOptions = {},
): Promise<NeighbourLists> {
  const n = x.length / dim;
  if (!Number.isInteger(n)) throw new Error(`selfNearestNeighboursTf: ${x.length} values is not a multiple of dim ${dim}`);
  if (!Number.isInteger(kk) || kk < 1 || kk > n) throw new Error(`selfNearestNeighboursTf: kk must be in [1, ${n}], got ${kk}`);
  const block = opts.blockSize ?? 512;
  if (!Number.isInteger(block) || block < 1) throw new Error(`blockSize must be a positive integer, got ${block}`);

  const norms = new Float64Array(n);
  let maxNormSq = 0;
  for (let i = 0; i < n; i++) {
    norms[i] = exactSqDistance(x, dim, i, -1);
    if (norms[i] > maxNormSq) maxNormSq = norms[i];
  }
  const margin = 2 * (2 * dim * 2 ** -24 * maxNormSq) * 2; // 2e, and a factor 2 of safety

  const indices = new Int32Array(n * kk);
  const sqDistances = new Float64Array(n * kk);
  const approxTop = new Float64Array(kk);
  const candD: number[] = [];
  const candJ: number[] = [];
  const all = tf.tensor2d(x, [n, dim]);
  const blocks = Math.ceil(n / block);
  try {
    for (let b = 0; b < blocks; b++) {
      const i0 = b * block;
      const i1 = Math.min(n, i0 + block);
      const dots = tf.tidy(() => tf.matMul(tf.slice(all, [i0, 0], [i1 - i0, dim]), all, false, true));
      let s: Float32Array;
      try {
        s = (await dots.data()) as Float32Array;
      } finally {
        dots.dispose();
      }
      for (let i = i0; i < i1; i++) {
        const row = (i - i0) * n;
        const ni = norms[i];
        // Pass 1: the kk-th smallest approximate distance (a sorted insertion buffer).
        approxTop.fill(Infinity);
        for (let j = 0; j < n; j++) {
          const d = ni + norms[j] - 2 * s[row + j];
          if (d < approxTop[kk - 1]) {
            let p = kk - 1;
            while (p > 0 && approxTop[p - 1] > d) {
              approxTop[p] = approxTop[p - 1];
              p--;
            }
            approxTop[p] = d;
          }
        }
        // Pass 2: every candidate that could belong to the exact top-kk, with its exact distance.
        const limit = approxTop[kk - 1] + margin;
        candD.length = 0;
        candJ.length = 0;
        for (let j = 0; j < n; j++) {
          if (ni + norms[j] - 2 * s[row + j] <= limit) {
            candJ.push(j);
            candD.push(exactSqDistance(x, dim, i, j, ni, norms[j]));
          }
        }
        const order = candJ.map((_, c) => c).sort((a, c) => candD[a] - candD[c] || candJ[a] - candJ[c]);
        for (let c = 0; c < kk; c++) {
          indices[i * kk + c] = candJ[order[c]];
          sqDistances[i * kk + c] = candD[order[c]];
        }
      }
      opts.onProgress?.(b + 1, blocks);
    }
  } finally {
    all.dispose();
  }
  return { indices, sqDistances, kk };
}
