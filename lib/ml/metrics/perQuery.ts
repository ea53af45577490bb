/**
 * Each query's MAP@R, P@1 and R-Precision from its ranked reference list, the rule PML 1.7.3's
 * AccuracyCalculator applies (see retrieval.ts): for a query with R relevant references,
 * P@1 = [first neighbour relevant], R-Precision = (relevant among the first R) / R, and
 * MAP@R = (1/R) sum_{i<=R} P@i * rel(i). Queries with R = 0 ("lone") have no values and are left out.
 * Shared by the same-source metrics (query = reference = the split) and the query/gallery metrics.
 */

/**
 * Each non-lone query's three metric values, in query order: what the averages are means of, and what
 * a bootstrap over queries resamples. `query[j]` is the query index of the j-th entry.
 */
export interface PerQueryMetrics {
  query: Int32Array;
  mapAtR: Float64Array;
  precisionAt1: Float64Array;
  rPrecision: Float64Array;
}

/**
 * queryLabels[q], referenceLabels[r]; relevant[q] = R of query q; neighbours: k reference indices per
 * query (row-major, nearest first, the query itself already removed), k >= every R.
 */
export function scoreQueries(
  queryLabels: Int32Array,
  referenceLabels: Int32Array,
  relevant: Int32Array,
  neighbours: Int32Array,
  k: number,
): PerQueryMetrics {
  const n = queryLabels.length;
  let count = 0;
  for (let q = 0; q < n; q++) if (relevant[q] > 0) count++;
  const out: PerQueryMetrics = {
    query: new Int32Array(count),
    mapAtR: new Float64Array(count),
    precisionAt1: new Float64Array(count),
    rPrecision: new Float64Array(count),
  };
  let j = 0;
  for (let q = 0; q < n; q++) {
    const r = relevant[q];
    if (r < 1) continue; // lone query: excluded, as PML's not_lone_query_mask does
    if (r > k) throw new Error(`scoreQueries: query ${q} has ${r} relevant references but only k=${k} neighbours`);
    const label = queryLabels[q];
    const base = q * k;
    let hits = 0;
    let precisionSum = 0;
    for (let i = 0; i < r; i++) {
      if (referenceLabels[neighbours[base + i]] === label) {
        hits++;
        precisionSum += hits / (i + 1);
      }
    }
    out.query[j] = q;
    out.mapAtR[j] = precisionSum / r;
    out.rPrecision[j] = hits / r;
    out.precisionAt1[j] = referenceLabels[neighbours[base]] === label ? 1 : 0;
    j++;
  }
  return out;
}
