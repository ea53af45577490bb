import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  retrievalMetrics,
  retrievalMetricsPerQuery,
  retrievalMetricsPerQueryAsync,
} from '../../../lib/ml/metrics/retrieval';
import { queryGalleryMetrics } from '../../../lib/ml/metrics/queryGalleryRetrieval';
import { crossNearestNeighbours } from '../../../lib/ml/metrics/crossNeighbours';
import { selfNearestNeighbours } from '../../../lib/ml/metrics/nearestNeighbours';

interface Case {
  name: string;
  dim: number;
  embeddings: number[];
  labels: number[];
  mapAtR: number;
  precisionAt1: number;
  rPrecision: number;
}
// PML 1.7.3 AccuracyCalculator goldens (scripts/fixtures/gen_metrics.py), ties and self-pushed-out cases included.
const fixture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/ml/metrics.json'), 'utf8')) as {
  cases: Case[];
};
const indices = (n: number) => Array.from({ length: n }, (_, i) => i);

for (const c of fixture.cases) {
  test(`gallery = query set with identity = index gives PML's same-source metrics: ${c.name}`, async () => {
    const x = Float32Array.from(c.embeddings);
    const n = c.labels.length;
    const set = { embeddings: x, labels: c.labels, identities: indices(n) };
    const r = queryGalleryMetrics(set, set, c.dim);
    assert.deepEqual(r.metrics, retrievalMetrics(x, c.dim, c.labels));
    assert.ok(Math.abs(r.metrics.mapAtR - c.mapAtR) < 1e-12);
    assert.ok(Math.abs(r.metrics.precisionAt1 - c.precisionAt1) < 1e-12);
    assert.ok(Math.abs(r.metrics.rPrecision - c.rPrecision) < 1e-12);
    // The per-query output: its means are the averages bit for bit, and the same-source path agrees.
    const same = retrievalMetricsPerQuery(x, c.dim, c.labels);
    assert.deepEqual(same.metrics, retrievalMetrics(x, c.dim, c.labels));
    assert.deepEqual(same.perQuery, r.perQuery);
    assert.deepEqual(await retrievalMetricsPerQueryAsync(x, c.dim, c.labels, { engine: 'tfjs' }), same);
  });
}

test('cross kNN of a set against itself returns the self kNN lists exactly (distances too)', () => {
  const c = fixture.cases.find((x) => x.name === 'grid_ties')!;
  const x = Float32Array.from(c.embeddings);
  const self = selfNearestNeighbours(x, c.dim, 4);
  const cross = crossNearestNeighbours(x, x, c.dim, 4);
  assert.deepEqual(cross.indices, self.indices);
  assert.deepEqual(cross.sqDistances, self.sqDistances);
});

test('hand-computed: swapped queries against a clean gallery, own clean image excluded', () => {
  // Classes A = images 0,1,2 and B = images 3,4,5; gallery (clean) at 0,1,2 | 10,11,12 (1-D).
  // Each query is image i moved; its own gallery entry (identity i) is never retrieved, R = 2.
  //   q0 = 0.4  (A): g1, g2            -> AP 1,   P@1 1, RP 1
  //   q1 = 10.6 (A): g4 (.4), g3 (.6)  -> 0, 0, 0      (its own g1 is far anyway)
  //   q2 = 5.5  (A): g1, g3 tie at 4.5 -> g1 first (index), then g3 -> AP .5, P@1 1, RP .5
  //   q3 = 11   (B): g4 (0), g5 (1)    -> 1, 1, 1      (self g3 at distance 1 skipped)
  //   q4 = 1.2  (B): g1, g2            -> 0, 0, 0
  //   q5 = 12   (B): g4, g3            -> 1, 1, 1      (self g5 at distance 0 skipped)
  const gallery = {
    embeddings: Float32Array.from([0, 1, 2, 10, 11, 12]),
    labels: [0, 0, 0, 1, 1, 1],
    identities: indices(6),
  };
  const queries = {
    embeddings: Float32Array.from([0.4, 10.6, 5.5, 11, 1.2, 12]),
    labels: [0, 0, 0, 1, 1, 1],
    identities: indices(6),
  };
  const r = queryGalleryMetrics(queries, gallery, 1);
  assert.deepEqual(Array.from(r.perQuery.precisionAt1), [1, 0, 1, 1, 0, 1]);
  assert.deepEqual(Array.from(r.perQuery.mapAtR), [1, 0, 0.5, 1, 0, 1]);
  assert.deepEqual(Array.from(r.perQuery.rPrecision), [1, 0, 0.5, 1, 0, 1]);
  assert.deepEqual(r.metrics, { mapAtR: 3.5 / 6, precisionAt1: 4 / 6, rPrecision: 3.5 / 6, numQueries: 6, k: 2 });
});

test('lone queries are left out; gallery-only entries (other identities) are retrievable', () => {
  // Query 0 (class 5) has only itself in the gallery -> lone. Query 1 (class 0) finds the distractor
  // 99 (class 0, never a query) as its only relevant entry.
  const queries = { embeddings: Float32Array.from([0, 5]), labels: [5, 0], identities: [0, 1] };
  const gallery = { embeddings: Float32Array.from([0, 5, 6]), labels: [5, 0, 0], identities: [0, 1, 99] };
  const r = queryGalleryMetrics(queries, gallery, 1);
  assert.deepEqual(Array.from(r.perQuery.query), [1]);
  assert.deepEqual(r.metrics, { mapAtR: 1, precisionAt1: 1, rPrecision: 1, numQueries: 1, k: 1 });
});

test('bad query/gallery inputs name the set and field', () => {
  const ok = { embeddings: new Float32Array(2), labels: [0, 0], identities: [0, 1] };
  assert.throws(
    () => queryGalleryMetrics({ ...ok, identities: [0] }, ok, 1),
    /query set has 2 embeddings but 1 identities/,
  );
  assert.throws(() => queryGalleryMetrics(ok, { ...ok, labels: [0, 0.5] }, 1), /gallery label 1 is 0.5/);
  assert.throws(
    () => queryGalleryMetrics(ok, { ...ok, embeddings: Float32Array.from([0, NaN]) }, 1),
    /gallery embedding 1 has a non-finite value/,
  );
});
