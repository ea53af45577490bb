/** How far our numbers are from a reference's, as the golden tests measure it. */
import assert from 'node:assert/strict';

/**
 * max|ours - ref| / max(max|ref|, floor) over a whole array. Normalising by the array's largest
 * entry (not per element) is what float32 arithmetic can meet: a tiny entry of a gradient carries
 * the absolute rounding error of the large ones. `floor` keeps an all-zero reference from dividing
 * by zero; a test passes a larger one where the reference's values are themselves tiny.
 */
export function maxRelativeError(ours: ArrayLike<number>, ref: ArrayLike<number>, floor = 1e-12): number {
  assert.equal(ours.length, ref.length, 'length mismatch');
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  return maxDiff / Math.max(maxRef, floor);
}

/** ||ours - ref|| / ||ref|| (L2 norms over the whole array): one number for a whole embedding. */
export function relativeL2Error(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  assert.equal(ours.length, ref.length, 'length mismatch');
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (ours[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / den);
}
