/**
 * Exact k-nearest-neighbour search of a query set against a separate reference set (the gallery),
 * squared Euclidean distance, with the same arithmetic and order as nearestNeighbours.ts so that a
 * gallery equal to the query set gives exactly its lists:
 * - d(q,g) = |q|^2 + |g|^2 - 2 q.g, every dot accumulated in float64 sequentially over the dimensions
 *   (the order of nearestNeighbours.ts's kernel), clamped at 0;
 * - ascending (squared distance, gallery index): equal distances keep the smaller index (faiss).
 * Work: Nq * Ng * D multiply-adds; one query row against four gallery rows at a time.
 */
import type { NeighbourLists } from './nearestNeighbours';

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[ai + d] * b[bi + d];
  return s;
}

const clamp = (d: number) => (d < 0 ? 0 : d);

/** kk gallery indices per query (row-major Nq x kk, nearest first) and their squared distances. */
export function crossNearestNeighbours(
  queries: Float32Array,
  gallery: Float32Array,
  dim: number,
  kk: number,
): NeighbourLists {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`crossNearestNeighbours: invalid dim ${dim}`);
  if (queries.length % dim !== 0 || gallery.length % dim !== 0) {
    throw new Error(
      `crossNearestNeighbours: ${queries.length} query and ${gallery.length} gallery values are not multiples of dim ${dim}`,
    );
  }
  const nq = queries.length / dim;
  const ng = gallery.length / dim;
  if (!Number.isInteger(kk) || kk < 1 || kk > ng) {
    throw new Error(`crossNearestNeighbours: kk must be an integer in [1, ${ng}] (gallery size), got ${kk}`);
  }
  const gNorm = new Float64Array(ng);
  for (let j = 0; j < ng; j++) gNorm[j] = dot(gallery, j * dim, gallery, j * dim, dim);
  const indices = new Int32Array(nq * kk);
  const sqDistances = new Float64Array(nq * kk);
  const dist = new Float64Array(kk);
  const idx = new Int32Array(kk);
  const offer = (d: number, j: number) => {
    let p = kk - 1;
    if (d > dist[p] || (d === dist[p] && j > idx[p])) return;
    while (p > 0 && (dist[p - 1] > d || (dist[p - 1] === d && idx[p - 1] > j))) {
      dist[p] = dist[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
    dist[p] = d;
    idx[p] = j;
  };
  const j4 = ng & ~3;
  for (let q = 0; q < nq; q++) {
    const a = q * dim;
    const qNorm = dot(queries, a, queries, a, dim);
    dist.fill(Infinity);
    idx.fill(0x7fffffff);
    for (let j = 0; j < j4; j += 4) {
      const b0 = j * dim,
        b1 = b0 + dim,
        b2 = b1 + dim,
        b3 = b2 + dim;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let d = 0; d < dim; d++) {
        const p = queries[a + d];
        s0 += p * gallery[b0 + d];
        s1 += p * gallery[b1 + d];
        s2 += p * gallery[b2 + d];
        s3 += p * gallery[b3 + d];
      }
      offer(clamp(qNorm + gNorm[j] - 2 * s0), j);
      offer(clamp(qNorm + gNorm[j + 1] - 2 * s1), j + 1);
      offer(clamp(qNorm + gNorm[j + 2] - 2 * s2), j + 2);
      offer(clamp(qNorm + gNorm[j + 3] - 2 * s3), j + 3);
    }
    for (let j = j4; j < ng; j++) {
      offer(clamp(qNorm + gNorm[j] - 2 * dot(queries, a, gallery, j * dim, dim)), j);
    }
    indices.set(idx, q * kk);
    sqDistances.set(dist, q * kk);
  }
  return { indices, sqDistances, kk };
}
