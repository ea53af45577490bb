/**
 * Retrieval metrics exactly as pytorch-metric-learning 1.7.3's AccuracyCalculator computes them with
 * k = "max_bin_count", query = reference = the split (embeddings_come_from_same_source = True),
 * micro average (avg_of_avgs = False). docs/protocol.md section 9.
 *
 * PML's steps, reproduced here:
 * - label counts: size of each class in the split. A query whose class has no OTHER member is "lone"
 *   and is left out of every average (not counted as 0). If every query is lone, each metric is 0.
 * - k = (largest class size) - 1. The kNN search asks faiss for k+1 neighbours; `return_results` then
 *   removes the query's own index wherever it appears among them, and when it does not appear (more
 *   than k+1 entries tie at distance 0 with the query and have smaller indices) drops the last one.
 * - Ties in distance: ordered by index, as faiss IndexFlatL2 orders them (see nearestNeighbours.ts).
 * - For a query with R other members of its class (R <= k): P@1 = [first neighbour relevant];
 *   R-Precision = (relevant among the first R) / R; MAP@R = (1/R) sum_{i<=R} P@i * rel(i), where P@i
 *   counts relevant hits among the first i. Each metric is the plain mean over non-lone queries.
 */
import * as tf from '@tensorflow/tfjs';
import { selfNearestNeighbours, type KnnOptions, type NeighbourLists } from './nearestNeighbours';
import { selfNearestNeighboursTf } from './nearestNeighboursTf';
import { scoreQueries, type PerQueryMetrics } from './perQuery';

export type { PerQueryMetrics } from './perQuery';

export interface RetrievalMetrics {
  mapAtR: number;
  precisionAt1: number;
  rPrecision: number;
  /** Queries that entered the averages (those whose class has another member in the split). */
  numQueries: number;
  /** k = largest class size - 1 (PML's "max_bin_count" minus the query itself). */
  k: number;
}

export interface RetrievalOptions extends KnnOptions {
  /**
   * Who computes the dot products (retrievalMetricsAsync only): 'tfjs' = tf.matMul per query block,
   * 'js' = the blocked JavaScript kernel, 'auto' = 'tfjs' on the native 'tensorflow' backend, else
   * 'js' (measured: on tfjs's pure-JS 'cpu' backend matMul is slower than the JS kernel). Both give
   * identical neighbour lists.
   */
  engine?: 'auto' | 'js' | 'tfjs';
}

/** Checked inputs plus the per-class sizes PML derives from the labels. */
export interface RetrievalProblem {
  n: number;
  dim: number;
  labels: Int32Array;
  /** classSize[i] = number of entries (query included) with the label of entry i. */
  classSize: Int32Array;
  k: number;
}

export function prepareRetrieval(
  embeddings: Float32Array,
  dim: number,
  labels: Int32Array | number[],
): RetrievalProblem {
  if (!(embeddings instanceof Float32Array)) throw new Error('retrievalMetrics: embeddings must be a Float32Array');
  if (!Number.isInteger(dim) || dim < 1)
    throw new Error(`retrievalMetrics: dim must be a positive integer, got ${dim}`);
  if (embeddings.length % dim !== 0) {
    throw new Error(`retrievalMetrics: ${embeddings.length} embedding values is not a multiple of dim ${dim}`);
  }
  const n = embeddings.length / dim;
  if (n < 1) throw new Error('retrievalMetrics: no embeddings');
  if (labels.length !== n) throw new Error(`retrievalMetrics: ${n} embeddings but ${labels.length} labels`);
  for (let i = 0; i < embeddings.length; i++) {
    if (!Number.isFinite(embeddings[i])) {
      throw new Error(
        `retrievalMetrics: embedding ${Math.floor(i / dim)} has a non-finite value (${embeddings[i]}) at dimension ` +
          `${i % dim}`,
      );
    }
  }
  const lab = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff)
      throw new Error(`retrievalMetrics: label ${i} is ${v}, expected a 32-bit integer`);
    lab[i] = v;
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) counts.set(lab[i], (counts.get(lab[i]) ?? 0) + 1);
  const classSize = new Int32Array(n);
  let maxCount = 0;
  for (let i = 0; i < n; i++) {
    classSize[i] = counts.get(lab[i])!;
    if (classSize[i] > maxCount) maxCount = classSize[i];
  }
  return { n, dim, labels: lab, classSize, k: maxCount - 1 };
}

/**
 * PML's return_results for same-source search: from kk = k+1 neighbours per query, remove the query's
 * own index if present, else the last neighbour. Returns N x k indices.
 */
export function dropSelf(lists: NeighbourLists, n: number): Int32Array {
  const kk = lists.kk;
  const k = kk - 1;
  const out = new Int32Array(n * k);
  for (let q = 0; q < n; q++) {
    const row = lists.indices.subarray(q * kk, q * kk + kk);
    let selfPos = row.indexOf(q);
    if (selfPos < 0) selfPos = kk - 1;
    let o = q * k;
    for (let c = 0; c < kk; c++) if (c !== selfPos) out[o++] = row[c];
  }
  return out;
}

/** Per-query values from the N x k neighbour indices (self already removed); lone queries left out. */
export function perQueryFromNeighbours(problem: RetrievalProblem, neighbours: Int32Array): PerQueryMetrics {
  const relevant = new Int32Array(problem.n);
  for (let q = 0; q < problem.n; q++) relevant[q] = problem.classSize[q] - 1;
  return scoreQueries(problem.labels, problem.labels, relevant, neighbours, problem.k);
}

/** The plain means of per-query values (summed in query order); every metric 0 when no query counts. */
export function averagePerQuery(perQuery: PerQueryMetrics, k: number): RetrievalMetrics {
  const queries = perQuery.query.length;
  if (queries === 0) return { mapAtR: 0, precisionAt1: 0, rPrecision: 0, numQueries: 0, k };
  let sumMap = 0,
    sumP1 = 0,
    sumRp = 0;
  for (let j = 0; j < queries; j++) {
    sumMap += perQuery.mapAtR[j];
    sumP1 += perQuery.precisionAt1[j];
    sumRp += perQuery.rPrecision[j];
  }
  return {
    mapAtR: sumMap / queries,
    precisionAt1: sumP1 / queries,
    rPrecision: sumRp / queries,
    numQueries: queries,
    k,
  };
}

/** The three metrics from the N x k neighbour indices (self already removed). */
export function metricsFromNeighbours(problem: RetrievalProblem, neighbours: Int32Array): RetrievalMetrics {
  return averagePerQuery(perQueryFromNeighbours(problem, neighbours), problem.k);
}

/**
 * MAP@R, P@1 and R-Precision of a split against itself. `embeddings` is N x dim row-major float32.
 * Runs the blocked JavaScript kNN (one core, O(N * k) extra memory).
 */
export function retrievalMetrics(
  embeddings: Float32Array,
  dim: number,
  labels: Int32Array | number[],
  opts: RetrievalOptions = {},
): RetrievalMetrics {
  const problem = prepareRetrieval(embeddings, dim, labels);
  if (problem.k < 1) return metricsFromNeighbours(problem, new Int32Array(0)); // every query lone
  const lists = selfNearestNeighbours(embeddings, dim, problem.k + 1, opts);
  return metricsFromNeighbours(problem, dropSelf(lists, problem.n));
}

/** retrievalMetrics plus each query's values (for bootstrap intervals); the averages are the same numbers. */
export function retrievalMetricsPerQuery(
  embeddings: Float32Array,
  dim: number,
  labels: Int32Array | number[],
  opts: RetrievalOptions = {},
): { metrics: RetrievalMetrics; perQuery: PerQueryMetrics } {
  const problem = prepareRetrieval(embeddings, dim, labels);
  const neighbours =
    problem.k < 1
      ? new Int32Array(0)
      : dropSelf(selfNearestNeighbours(embeddings, dim, problem.k + 1, opts), problem.n);
  const perQuery = perQueryFromNeighbours(problem, neighbours);
  return { metrics: averagePerQuery(perQuery, problem.k), perQuery };
}

/** Which engine 'auto' picks for the active tfjs backend. */
export function pickEngine(engine: RetrievalOptions['engine'] = 'auto'): 'js' | 'tfjs' {
  if (engine === 'js' || engine === 'tfjs') return engine;
  if (engine !== 'auto')
    throw new Error(`retrievalMetrics: engine must be 'auto', 'js' or 'tfjs', got ${JSON.stringify(engine)}`);
  return tf.getBackend() === 'tensorflow' ? 'tfjs' : 'js';
}

/** retrievalMetrics, with the dot products on tfjs when that is faster (see RetrievalOptions.engine). */
export async function retrievalMetricsAsync(
  embeddings: Float32Array,
  dim: number,
  labels: Int32Array | number[],
  opts: RetrievalOptions = {},
): Promise<RetrievalMetrics> {
  const engine = pickEngine(opts.engine);
  if (engine === 'js') return retrievalMetrics(embeddings, dim, labels, opts);
  const problem = prepareRetrieval(embeddings, dim, labels);
  if (problem.k < 1) return metricsFromNeighbours(problem, new Int32Array(0));
  const lists = await selfNearestNeighboursTf(embeddings, dim, problem.k + 1, opts);
  return metricsFromNeighbours(problem, dropSelf(lists, problem.n));
}

/** retrievalMetricsPerQuery, with the dot products on tfjs when that is faster (RetrievalOptions.engine). */
export async function retrievalMetricsPerQueryAsync(
  embeddings: Float32Array,
  dim: number,
  labels: Int32Array | number[],
  opts: RetrievalOptions = {},
): Promise<{ metrics: RetrievalMetrics; perQuery: PerQueryMetrics }> {
  if (pickEngine(opts.engine) === 'js') return retrievalMetricsPerQuery(embeddings, dim, labels, opts);
  const problem = prepareRetrieval(embeddings, dim, labels);
  const neighbours =
    problem.k < 1
      ? new Int32Array(0)
      : dropSelf(await selfNearestNeighboursTf(embeddings, dim, problem.k + 1, opts), problem.n);
  const perQuery = perQueryFromNeighbours(problem, neighbours);
  return { metrics: averagePerQuery(perQuery, problem.k), perQuery };
}
