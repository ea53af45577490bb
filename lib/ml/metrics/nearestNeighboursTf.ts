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
 * Selection happens on the device: tf.topk of (2 q.r - |r|^2) returns kk + extraCandidates
 * candidates per row. If the last of them is beyond t + 2e, they hold every row that can be in the
 * exact top-kk; otherwise (many duplicates or near-ties) that row is rescanned exactly in JavaScript.
 *
 * Memory: one block of blockSize x N float32 dots at a time on the device (512 x 60,502 = 124 MB),
 * plus the input as a tensor; only blockSize x (kk + extra) values come back to JavaScript.
 */
import * as tf from '@tensorflow/tfjs';
import { exactSqDistance, type KnnOptions, type NeighbourLists } from './nearestNeighbours';

export async function selfNearestNeighboursTf(
  x: Float32Array,
  dim: number,
  kk: number,
  opts: KnnOptions & { extraCandidates?: number } = {},
): Promise<NeighbourLists> {
  const n = x.length / dim;
  if (!Number.isInteger(n))
    throw new Error(`selfNearestNeighboursTf: ${x.length} values is not a multiple of dim ${dim}`);
  if (!Number.isInteger(kk) || kk < 1 || kk > n)
    throw new Error(`selfNearestNeighboursTf: kk must be in [1, ${n}], got ${kk}`);
  const block = opts.blockSize ?? 512;
  if (!Number.isInteger(block) || block < 1) throw new Error(`blockSize must be a positive integer, got ${block}`);
  const wide = Math.min(n, kk + (opts.extraCandidates ?? 8));

  const norms = new Float64Array(n);
  let maxNormSq = 0;
  for (let i = 0; i < n; i++) {
    norms[i] = exactSqDistance(x, dim, i, -1);
    if (norms[i] > maxNormSq) maxNormSq = norms[i];
  }
  const u = 2 ** -24;
  // e: float32 dot error (dim*u*|q||r|, doubled in 2 q.r) plus rounding of 2s - |r|^2 on the device.
  const e = (2 * dim * u + 4 * u) * maxNormSq;
  const margin = 2 * e * 2; // 2e, and a factor 2 of safety

  const indices = new Int32Array(n * kk);
  const sqDistances = new Float64Array(n * kk);
  const candD: number[] = [];
  const candJ: number[] = [];
  const all = tf.tensor2d(x, [n, dim]);
  const normsRow = tf.tensor2d(Float32Array.from(norms), [1, n]);
  const blocks = Math.ceil(n / block);
  let fullScans = 0;
  try {
    for (let b = 0; b < blocks; b++) {
      const i0 = b * block;
      const i1 = Math.min(n, i0 + block);
      // score = 2 q.r - |r|^2 = |q|^2 - d^2: the largest scores are the nearest rows.
      const { values, indices: top } = tf.tidy(() => {
        const dots = tf.matMul(tf.slice(all, [i0, 0], [i1 - i0, dim]), all, false, true);
        return tf.topk(tf.sub(tf.mul(dots, 2), normsRow), wide, true);
      });
      let score: Float32Array, cand: Int32Array;
      try {
        [score, cand] = (await Promise.all([values.data(), top.data()])) as [Float32Array, Int32Array];
      } finally {
        tf.dispose([values, top]);
      }
      for (let i = i0; i < i1; i++) {
        const row = (i - i0) * wide;
        const ni = norms[i];
        const limit = ni - score[row + kk - 1] + margin;
        candD.length = 0;
        candJ.length = 0;
        if (wide === n || ni - score[row + wide - 1] > limit) {
          // Every row that could be in the exact top-kk is among the `wide` returned.
          for (let c = 0; c < wide; c++) {
            if (ni - score[row + c] <= limit) {
              const j = cand[row + c];
              candJ.push(j);
              candD.push(exactSqDistance(x, dim, i, j, ni, norms[j]));
            }
          }
        } else {
          // More than `wide` rows within the margin (duplicates, near-ties): exact scan of this row.
          fullScans++;
          for (let j = 0; j < n; j++) {
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
    tf.dispose([all, normsRow]);
  }
  return { indices, sqDistances, kk, fullScans };
}
