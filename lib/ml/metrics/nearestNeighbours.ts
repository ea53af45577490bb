/**
 * Exact k-nearest-neighbour search of a set against itself (query = reference), squared Euclidean
 * distance, computed in blocks so that the N x N distance matrix never exists.
 *
 * Result order: ascending (squared distance, index). That is faiss IndexFlatL2's order for exact
 * ties: its result heap only admits a candidate strictly closer than the current worst, candidates
 * arrive in index order, and its final sort breaks equal distances by the smaller id. So when more
 * than `kk` entries share the boundary distance, the smallest indices are kept, as faiss keeps them.
 * The query itself is a candidate like any other (PML removes it afterwards; see retrieval.ts).
 *
 * Arithmetic: d(i,j) = |x_i|^2 + |x_j|^2 - 2 x_i.x_j (faiss's formula), accumulated in float64 from
 * the float32 inputs (products of two float32 are exact in float64), clamped at 0 as faiss does.
 * Norms come from the same dot routine, so d(i,i) is exactly 0 and d(i,j) == d(j,i) exactly.
 *
 * Work: d(i,j) is symmetric, so each unordered pair is computed once and offered to both rows:
 * N^2 D / 2 multiply-adds. Tiles of `blockSize` rows x `blockSize` columns keep the column tile in
 * cache; memory is O(N * kk) for the running top lists plus the input.
 */

export interface NeighbourLists {
  /** kk neighbour indices per row, row-major N x kk, nearest first. */
  indices: Int32Array;
  /** The matching squared distances. */
  sqDistances: Float64Array;
  kk: number;
  /** tfjs engine only: rows whose candidates had to be rescanned exactly (too many near-ties). */
  fullScans?: number;
}

export interface KnnOptions {
  blockSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Dot product accumulated in float64, sequentially over the dimensions. tileDots uses the very same
 * order, so a row's norm equals its dot with itself bit for bit (d(i,i) = 0 exactly).
 */
function dot(x: Float32Array, a: number, b: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += x[a + d] * x[b + d];
  return s;
}

/**
 * Exact squared distance between rows i and j as the blocked kernel computes it (same dot order, same
 * clamp), for callers that re-rank candidates. j = -1 returns |x_i|^2. Norms may be passed in.
 */
export function exactSqDistance(x: Float32Array, dim: number, i: number, j: number, ni?: number, nj?: number): number {
  if (j < 0) return dot(x, i * dim, i * dim, dim);
  const a = ni ?? dot(x, i * dim, i * dim, dim);
  const b = nj ?? dot(x, j * dim, j * dim, dim);
  const d = a + b - 2 * dot(x, i * dim, j * dim, dim);
  return d < 0 ? 0 : d;
}

/**
 * out[(i - i0) * (j1 - j0) + (j - j0)] = x_i . x_j for the tile [i0, i1) x [j0, j1). A 4 x 4 register
 * block reads each input value once per 4 products (about 3x the speed of one dot at a time in V8);
 * rows or columns left over at the tile's edge use the scalar dot.
 */
function tileDots(
  x: Float32Array,
  dim: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  out: Float64Array,
): void {
  const w = j1 - j0;
  const i4 = i0 + ((i1 - i0) & ~3);
  const j4 = j0 + (w & ~3);
  for (let i = i0; i < i4; i += 4) {
    const a0 = i * dim,
      a1 = a0 + dim,
      a2 = a1 + dim,
      a3 = a2 + dim;
    const r0 = (i - i0) * w - j0,
      r1 = r0 + w,
      r2 = r1 + w,
      r3 = r2 + w;
    for (let j = j0; j < j4; j += 4) {
      const b0 = j * dim,
        b1 = b0 + dim,
        b2 = b1 + dim,
        b3 = b2 + dim;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0,
        s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let d = 0; d < dim; d++) {
        const u = x[b0 + d],
          v = x[b1 + d],
          y = x[b2 + d],
          z = x[b3 + d];
        let p = x[a0 + d];
        s00 += p * u;
        s01 += p * v;
        s02 += p * y;
        s03 += p * z;
        p = x[a1 + d];
        s10 += p * u;
        s11 += p * v;
        s12 += p * y;
        s13 += p * z;
        p = x[a2 + d];
        s20 += p * u;
        s21 += p * v;
        s22 += p * y;
        s23 += p * z;
        p = x[a3 + d];
        s30 += p * u;
        s31 += p * v;
        s32 += p * y;
        s33 += p * z;
      }
      out[r0 + j] = s00;
      out[r0 + j + 1] = s01;
      out[r0 + j + 2] = s02;
      out[r0 + j + 3] = s03;
      out[r1 + j] = s10;
      out[r1 + j + 1] = s11;
      out[r1 + j + 2] = s12;
      out[r1 + j + 3] = s13;
      out[r2 + j] = s20;
      out[r2 + j + 1] = s21;
      out[r2 + j + 2] = s22;
      out[r2 + j + 3] = s23;
      out[r3 + j] = s30;
      out[r3 + j + 1] = s31;
      out[r3 + j + 2] = s32;
      out[r3 + j + 3] = s33;
    }
    for (let j = j4; j < j1; j++) {
      out[r0 + j] = dot(x, a0, j * dim, dim);
      out[r1 + j] = dot(x, a1, j * dim, dim);
      out[r2 + j] = dot(x, a2, j * dim, dim);
      out[r3 + j] = dot(x, a3, j * dim, dim);
    }
  }
  for (let i = i4; i < i1; i++) {
    const r = (i - i0) * w - j0;
    for (let j = j0; j < j1; j++) out[r + j] = dot(x, i * dim, j * dim, dim);
  }
}

/**
 * Running top-kk lists: row r holds kk (distance, index) pairs ascending. `offer` inserts a candidate
 * if it beats the row's worst entry in (distance, index) order. Most candidates fail the first test.
 */
class TopLists {
  readonly dist: Float64Array;
  readonly idx: Int32Array;
  constructor(
    n: number,
    private readonly kk: number,
  ) {
    this.dist = new Float64Array(n * kk).fill(Infinity);
    this.idx = new Int32Array(n * kk).fill(0x7fffffff);
  }

  offer(row: number, d: number, j: number): void {
    const kk = this.kk;
    const base = row * kk;
    const dist = this.dist;
    const idx = this.idx;
    let p = base + kk - 1;
    if (d > dist[p] || (d === dist[p] && j > idx[p])) return;
    // Shift worse entries one place down and drop the candidate into its slot.
    while (p > base && (dist[p - 1] > d || (dist[p - 1] === d && idx[p - 1] > j))) {
      dist[p] = dist[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
    dist[p] = d;
    idx[p] = j;
  }
}

/** The `kk` nearest entries of every row of `x` (N x dim, row-major) among all rows, itself included. */
export function selfNearestNeighbours(x: Float32Array, dim: number, kk: number, opts: KnnOptions = {}): NeighbourLists {
  const n = x.length / dim;
  if (!Number.isInteger(n))
    throw new Error(`selfNearestNeighbours: ${x.length} values is not a multiple of dim ${dim}`);
  if (!Number.isInteger(kk) || kk < 1 || kk > n)
    throw new Error(`selfNearestNeighbours: kk must be in [1, ${n}], got ${kk}`);
  const block = opts.blockSize ?? 256;
  if (!Number.isInteger(block) || block < 1) throw new Error(`blockSize must be a positive integer, got ${block}`);

  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) norms[i] = dot(x, i * dim, i * dim, dim);

  const top = new TopLists(n, kk);
  const dots = new Float64Array(block * block);
  const tiles = Math.ceil(n / block);
  const totalPairs = (tiles * (tiles + 1)) / 2;
  let donePairs = 0;
  for (let i0 = 0; i0 < n; i0 += block) {
    const i1 = Math.min(n, i0 + block);
    for (let j0 = i0; j0 < n; j0 += block) {
      const j1 = Math.min(n, j0 + block);
      const w = j1 - j0;
      tileDots(x, dim, i0, i1, j0, j1, dots);
      for (let i = i0; i < i1; i++) {
        const ni = norms[i];
        const r = (i - i0) * w - j0;
        // On the diagonal tile only the upper triangle (j >= i); j == i offers the query itself once.
        for (let j = j0 === i0 ? i : j0; j < j1; j++) {
          let d = ni + norms[j] - 2 * dots[r + j];
          if (d < 0) d = 0;
          top.offer(i, d, j);
          if (j !== i) top.offer(j, d, i);
        }
      }
      donePairs++;
      opts.onProgress?.(donePairs, totalPairs);
    }
  }
  return { indices: top.idx, sqDistances: top.dist, kk };
}
