/**
 * Acceptance: bootstrap intervals and t-intervals against numpy/scipy on the same values and the same
 * resample indices (scripts/fixtures/gen_bootstrap.py); per-query metrics against numpy brute force.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrapIndices, bootstrapMeans, percentileInterval } from '../../../lib/util/bootstrap';
import { meanInterval, pairedDifference, repetitionSummary } from '../../../lib/util/intervals';
import { tCdf, tQuantile } from '../../../lib/util/studentT';
import { retrievalMetricsPerQuery } from '../../../lib/ml/metrics/retrieval';
import { queryGalleryMetrics } from '../../../lib/ml/metrics/queryGalleryRetrieval';
import { Rng } from '../../../lib/util/rng';

type PerQuery = { query: number[]; mapAtR: number[]; precisionAt1: number[]; rPrecision: number[] };
type Bounds = { estimate: number; lower: number; upper: number };
const fx = JSON.parse(readFileSync(join(__dirname, '../../fixtures/audit/bootstrap.json'), 'utf8')) as {
  dim: number;
  labels: number[];
  embeddings: number[];
  moved: number[];
  perQuery: { same: PerQuery; cross: PerQuery };
  resamples: number;
  indices: number[];
  intervals: Record<'same' | 'cross', Record<'mapAtR' | 'precisionAt1' | 'rPrecision', Bounds>> & {
    differenceMapAtR90: Bounds;
  };
  seeds: Array<{
    base: number[];
    treated: number[];
    baseInterval: { mean: number; std: number; lower: number; upper: number };
    differenceInterval: { mean: number; std: number; lower: number; upper: number };
  }>;
  tQuantiles: Array<{ p: number; dof: number; q: number }>;
};
const METRICS = ['mapAtR', 'precisionAt1', 'rPrecision'] as const;
const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (|diff| ${Math.abs(a - b)})`);

function perQueryOf() {
  const ids = fx.labels.map((_, i) => i);
  const same = retrievalMetricsPerQuery(Float32Array.from(fx.embeddings), fx.dim, fx.labels).perQuery;
  const cross = queryGalleryMetrics(
    { embeddings: Float32Array.from(fx.moved), labels: fx.labels, identities: ids },
    { embeddings: Float32Array.from(fx.embeddings), labels: fx.labels, identities: ids },
    fx.dim,
  ).perQuery;
  return { same, cross };
}

test('per-query metrics equal numpy brute force (same source and query/gallery, lone query left out)', () => {
  const ours = perQueryOf();
  for (const k of ['same', 'cross'] as const) {
    assert.deepEqual(Array.from(ours[k].query), fx.perQuery[k].query);
    for (const m of METRICS) {
      ours[k][m].forEach((v, i) => close(v, fx.perQuery[k][m][i], 1e-12, `${k} ${m} query ${i}`));
    }
  }
});

test("bootstrap percentile intervals equal numpy's on the same resample indices", () => {
  const ours = perQueryOf();
  const idx = Int32Array.from(fx.indices);
  for (const k of ['same', 'cross'] as const) {
    for (const m of METRICS) {
      const r = percentileInterval(ours[k][m], idx, fx.resamples, 0.95);
      const g = fx.intervals[k][m];
      close(r.estimate, g.estimate, 1e-12, `${k} ${m} estimate`);
      close(r.lower, g.lower, 1e-12, `${k} ${m} lower`);
      close(r.upper, g.upper, 1e-12, `${k} ${m} upper`);
      assert.ok(r.lower < r.upper, `${k} ${m}: a real interval`);
    }
  }
  // A paired difference at 90%.
  const diff = ours.same.mapAtR.map((v, i) => v - ours.cross.mapAtR[i]);
  const d = percentileInterval(diff, idx, fx.resamples, 0.9);
  close(d.lower, fx.intervals.differenceMapAtR90.lower, 1e-12, 'difference lower');
  close(d.upper, fx.intervals.differenceMapAtR90.upper, 1e-12, 'difference upper');
});

test('bootstrap indices: seeded, uniform over [0, n), B x n; bad indices refused', () => {
  const a = bootstrapIndices(7, 3000, Rng.fromSeed('b'));
  assert.deepEqual(a, bootstrapIndices(7, 3000, Rng.fromSeed('b')));
  assert.notDeepEqual(a, bootstrapIndices(7, 3000, Rng.fromSeed('c')));
  const counts = new Array(7).fill(0);
  for (const i of a) counts[i]++;
  for (const c of counts) assert.ok(Math.abs(c / a.length - 1 / 7) < 0.01, `counts ${counts}`);
  assert.throws(() => bootstrapMeans([1, 2], Int32Array.from([0, 2]), 1), /index 2 at position 1 is outside \[0, 2\)/);
  assert.throws(() => bootstrapMeans([1, 2], Int32Array.from([0]), 1), /1 indices for 1 resamples of 2 values/);
});

test("Student's t quantiles equal scipy.stats.t.ppf", () => {
  for (const { p, dof, q } of fx.tQuantiles) {
    close(tQuantile(p, dof), q, 1e-9 * Math.max(1, Math.abs(q)), `t.ppf(${p}, ${dof})`);
    close(tCdf(q, dof), p, 1e-12, `t.cdf(${q}, ${dof})`);
  }
});

test('mean and 95% t-interval across seeds, and the paired difference, equal scipy', () => {
  for (const c of fx.seeds) {
    const m = meanInterval(c.base);
    close(m.mean, c.baseInterval.mean, 1e-12, 'mean');
    close(m.std!, c.baseInterval.std, 1e-12, 'std');
    close(m.lower!, c.baseInterval.lower, 1e-9, `lower n=${c.base.length}`);
    close(m.upper!, c.baseInterval.upper, 1e-9, `upper n=${c.base.length}`);
    assert.equal(m.dof, c.base.length - 1);
    const d = pairedDifference(c.base, c.treated);
    close(d.lower!, c.differenceInterval.lower, 1e-9, 'paired lower');
    close(d.upper!, c.differenceInterval.upper, 1e-9, 'paired upper');
  }
  const one = meanInterval([0.5]);
  assert.deepEqual([one.std, one.lower, one.upper], [null, null, null]);
  assert.deepEqual(repetitionSummary([1, 2, 3]), { mean: 2, std: 1, n: 3 });
  assert.throws(() => pairedDifference([1, 2], [1]), /2 base values but 1 treated/);
});
