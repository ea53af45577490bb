import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { retrievalMetrics, retrievalMetricsAsync, prepareRetrieval, dropSelf } from '../../../lib/ml/metrics/retrieval';
import { selfNearestNeighbours } from '../../../lib/ml/metrics/nearestNeighbours';
import { selfNearestNeighboursTf } from '../../../lib/ml/metrics/nearestNeighboursTf';

interface Case {
  name: string;
  dim: number;
  embeddings: number[];
  labels: number[];
  k: number;
  numQueries: number;
  mapAtR: number;
  precisionAt1: number;
  rPrecision: number;
  neighbours?: number[];
}
// Golden values from PML 1.7.3 AccuracyCalculator + faiss 1.7.4 (scripts/fixtures/gen_metrics.py).
const fixture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/ml/metrics.json'), 'utf8')) as {
  cases: Case[];
};

for (const c of fixture.cases) {
  test(`retrievalMetrics matches PML AccuracyCalculator: ${c.name}`, () => {
    const x = Float32Array.from(c.embeddings);
    for (const blockSize of [5, 64, 256]) {
      const m = retrievalMetrics(x, c.dim, c.labels, { blockSize });
      assert.equal(m.k, c.k);
      assert.equal(m.numQueries, c.numQueries);
      assert.ok(Math.abs(m.mapAtR - c.mapAtR) < 1e-12, `${c.name} bs=${blockSize} MAP@R ${m.mapAtR} vs ${c.mapAtR}`);
      assert.ok(Math.abs(m.precisionAt1 - c.precisionAt1) < 1e-12, `P@1 ${m.precisionAt1} vs ${c.precisionAt1}`);
      assert.ok(Math.abs(m.rPrecision - c.rPrecision) < 1e-12, `R-P ${m.rPrecision} vs ${c.rPrecision}`);
    }
  });

  if (c.neighbours) {
    test(`neighbour lists (self removed, ties by index) equal faiss's: ${c.name}`, () => {
      const x = Float32Array.from(c.embeddings);
      const p = prepareRetrieval(x, c.dim, c.labels);
      // Tile sizes that do and do not divide N, and that are not multiples of the 4x4 kernel.
      for (const blockSize of [3, 16, 1000]) {
        const lists = selfNearestNeighbours(x, c.dim, p.k + 1, { blockSize });
        assert.deepEqual(Array.from(dropSelf(lists, p.n)), c.neighbours);
      }
    });

    test(`tfjs matMul engine gives the same lists and metrics: ${c.name}`, async () => {
      const x = Float32Array.from(c.embeddings);
      const p = prepareRetrieval(x, c.dim, c.labels);
      // extraCandidates 0 forces the exact-rescan fallback on every row with a tie at the boundary;
      // 8 (default) and 100 take the device candidates.
      for (const extraCandidates of [0, 8, 100]) {
        const lists = await selfNearestNeighboursTf(x, c.dim, p.k + 1, { blockSize: 7, extraCandidates });
        assert.deepEqual(Array.from(dropSelf(lists, p.n)), c.neighbours, `extraCandidates ${extraCandidates}`);
        if (c.name === 'grid_ties' && extraCandidates <= 8)
          assert.ok(lists.fullScans! > 0, 'the tie case must reach the fallback');
        if (c.name === 'random_unit' && extraCandidates > 0) assert.equal(lists.fullScans, 0);
      }
      const m = await retrievalMetricsAsync(x, c.dim, c.labels, { engine: 'tfjs', blockSize: 64 });
      assert.deepEqual(m, retrievalMetrics(x, c.dim, c.labels));
    });
  }
}

test('the tie fixtures really contain ties and a query pushed out of its own list', () => {
  const c = fixture.cases.find((x) => x.name === 'self_pushed_out')!;
  const p = prepareRetrieval(Float32Array.from(c.embeddings), c.dim, c.labels);
  const lists = selfNearestNeighbours(Float32Array.from(c.embeddings), c.dim, p.k + 1);
  // Query 4 (a copy of point 0) gets 0, 1, 2: all at distance 0, itself not among them.
  assert.deepEqual(Array.from(lists.indices.subarray(4 * 3, 5 * 3)), [0, 1, 2]);
  assert.deepEqual(Array.from(lists.sqDistances.subarray(4 * 3, 5 * 3)), [0, 0, 0]);
});

test('hand-computed MAP@R on a 1-D example', () => {
  // Points 0,1,2,10,11 with labels a,b,a,b,b. k = 2 (class b has 3).
  // q0 (a, R=1): neighbours 1(b),2(a) -> AP = 0, P@1 = 0, RP = 0
  // q1 (b, R=2): 0 and 2 tie at distance 1 -> index order 0(a),2(a) -> 0,0,0
  // q2 (a, R=1): 1(b) -> 0
  // q3 (b, R=2): 4(b), 2(a) -> AP = (1/1)/2 = .5, P@1 = 1, RP = .5
  // q4 (b, R=2): 3(b), 2(a) -> .5, 1, .5
  const m = retrievalMetrics(Float32Array.from([0, 1, 2, 10, 11]), 1, [7, 8, 7, 8, 8]);
  assert.deepEqual(m, { mapAtR: 1 / 5, precisionAt1: 2 / 5, rPrecision: 1 / 5, numQueries: 5, k: 2 });
});

test('progress reports every tile pair and ends at the total', () => {
  const calls: Array<[number, number]> = [];
  const x = Float32Array.from({ length: 40 * 2 }, (_, i) => Math.sin(i));
  retrievalMetrics(
    x,
    2,
    Array.from({ length: 40 }, (_, i) => i % 7),
    { blockSize: 16, onProgress: (d, t) => calls.push([d, t]) },
  );
  // 3 tiles -> 3 + 2 + 1 = 6 tile pairs
  assert.deepEqual(
    calls.map((c) => c[0]),
    [1, 2, 3, 4, 5, 6],
  );
  assert.ok(calls.every((c) => c[1] === 6));
});

test('bad inputs are rejected with the reason', () => {
  assert.throws(() => retrievalMetrics(new Float32Array(7), 2, [0, 0, 0]), /not a multiple of dim 2/);
  assert.throws(() => retrievalMetrics(new Float32Array(6), 2, [0, 0]), /3 embeddings but 2 labels/);
  assert.throws(() => retrievalMetrics(Float32Array.from([0, NaN]), 1, [0, 0]), /embedding 1 has a non-finite value/);
  assert.throws(() => retrievalMetrics(new Float32Array(2), 1, [0, 0.5]), /label 1 is 0.5/);
  assert.throws(() => retrievalMetrics(new Float32Array(0), 1, []), /no embeddings/);
  assert.throws(() => retrievalMetrics(new Float32Array(4), 2, [0, 0], { blockSize: 0 }), /blockSize/);
});
