/**
 * MAP@R, P@1 and R-Precision of a query set against a separate gallery, for audits where the queries
 * and the gallery are the same images under different transforms (swapped queries against a clean
 * gallery, and the reverse).
 *
 * Self-exclusion by image identity: every query and gallery entry carries the identity of the image it
 * was made from (an integer: the image's index in its split). Gallery entries with the query's own
 * identity are never retrieved for it and never count as relevant: query i (image i on a new
 * background) must not find gallery i (image i, clean), which would measure how well the model
 * recognises the same photo rather than retrieves its class. For a query, R = the gallery entries
 * with its label and another identity; R = 0 makes it "lone" (left out of every average, as PML does).
 * k = the largest R. The search asks for k + s neighbours (s = the most gallery entries any query
 * shares its identity with, 1 in an audit), removes the query's own entries and keeps the first k;
 * when fewer than s were present, the last ones drop instead. With the gallery equal to the query set
 * and identity = index this is exactly PML's same-source rule, so these metrics then equal
 * retrievalMetrics' (the unit test checks it on PML's golden cases, ties included).
 */
import { crossNearestNeighbours } from './crossNeighbours';
import { scoreQueries, type PerQueryMetrics } from './perQuery';
import { averagePerQuery, type RetrievalMetrics } from './retrieval';

export interface QueryGallerySet {
  /** N x dim row-major float32 embeddings. */
  embeddings: Float32Array;
  labels: Int32Array | number[];
  /** Image identity of each entry (e.g. its index in the split): the self-exclusion key. */
  identities: Int32Array | number[];
}

export interface QueryGalleryResult {
  metrics: RetrievalMetrics;
  perQuery: PerQueryMetrics;
}

function checkSet(set: QueryGallerySet, dim: number, what: string): { n: number; labels: Int32Array; ids: Int32Array } {
  if (!(set.embeddings instanceof Float32Array))
    throw new Error(`queryGalleryMetrics: ${what} embeddings must be a Float32Array`);
  if (set.embeddings.length % dim !== 0) {
    throw new Error(`queryGalleryMetrics: ${what} has ${set.embeddings.length} values, not a multiple of dim ${dim}`);
  }
  const n = set.embeddings.length / dim;
  if (n < 1) throw new Error(`queryGalleryMetrics: ${what} is empty`);
  if (set.labels.length !== n)
    throw new Error(`queryGalleryMetrics: ${what} has ${n} embeddings but ${set.labels.length} labels`);
  if (set.identities.length !== n) {
    throw new Error(`queryGalleryMetrics: ${what} has ${n} embeddings but ${set.identities.length} identities`);
  }
  for (let i = 0; i < set.embeddings.length; i++) {
    if (!Number.isFinite(set.embeddings[i])) {
      throw new Error(
        `queryGalleryMetrics: ${what} embedding ${Math.floor(i / dim)} has a non-finite value (${set.embeddings[i]}) at dimension ${i % dim}`,
      );
    }
  }
  const toInt = (values: Int32Array | number[], field: string) => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff)
        throw new Error(`queryGalleryMetrics: ${what} ${field} ${i} is ${v}, expected a 32-bit integer`);
      out[i] = v;
    }
    return out;
  };
  return { n, labels: toInt(set.labels, 'label'), ids: toInt(set.identities, 'identity') };
}

export function queryGalleryMetrics(
  queries: QueryGallerySet,
  gallery: QueryGallerySet,
  dim: number,
): QueryGalleryResult {
  if (!Number.isInteger(dim) || dim < 1)
    throw new Error(`queryGalleryMetrics: dim must be a positive integer, got ${dim}`);
  const q = checkSet(queries, dim, 'query set');
  const g = checkSet(gallery, dim, 'gallery');
  // Per (label) and per (identity) counts in the gallery, and per (label, identity) to subtract self.
  const byLabel = new Map<number, number>();
  const byId = new Map<number, number>();
  const byLabelId = new Map<string, number>();
  for (let j = 0; j < g.n; j++) {
    byLabel.set(g.labels[j], (byLabel.get(g.labels[j]) ?? 0) + 1);
    byId.set(g.ids[j], (byId.get(g.ids[j]) ?? 0) + 1);
    const key = `${g.labels[j]}/${g.ids[j]}`;
    byLabelId.set(key, (byLabelId.get(key) ?? 0) + 1);
  }
  const relevant = new Int32Array(q.n);
  const selfCount = new Int32Array(q.n);
  let k = 0;
  let maxSelf = 0;
  for (let i = 0; i < q.n; i++) {
    relevant[i] = (byLabel.get(q.labels[i]) ?? 0) - (byLabelId.get(`${q.labels[i]}/${q.ids[i]}`) ?? 0);
    selfCount[i] = byId.get(q.ids[i]) ?? 0;
    if (relevant[i] > k) k = relevant[i];
    if (selfCount[i] > maxSelf) maxSelf = selfCount[i];
  }
  let neighbours = new Int32Array(0);
  if (k > 0) {
    const kk = Math.min(g.n, k + maxSelf);
    const lists = crossNearestNeighbours(queries.embeddings, gallery.embeddings, dim, kk);
    neighbours = new Int32Array(q.n * k).fill(-1);
    for (let i = 0; i < q.n; i++) {
      let o = i * k;
      const end = o + k;
      for (let c = 0; c < kk && o < end; c++) {
        const j = lists.indices[i * kk + c];
        if (g.ids[j] !== q.ids[i]) neighbours[o++] = j;
      }
    }
  }
  const perQuery = scoreQueries(q.labels, g.labels, relevant, neighbours, k);
  return { metrics: averagePerQuery(perQuery, k), perQuery };
}
