/** ArcFace-specific: its fixture covers both branches of the margin (the PML comparison is pmlGolden.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCases } from './goldenCase';

const cases = loadCases('arcface');

test('the arcface fixture exercises the theta > pi - m branch (cos(theta) - m sin(m))', () => {
  let hits = 0;
  for (const c of cases.filter((k) => k.weights)) {
    const m = (c.params.marginDegrees * Math.PI) / 180;
    const w = c.weights!;
    c.embeddings.forEach((e, i) => {
      const y = c.labels[i];
      const col = w.map((row) => row[y]);
      const dot = e.reduce((s, v, k) => s + v * col[k], 0);
      const cos = dot / Math.hypot(...e) / Math.hypot(...col);
      if (Math.acos(cos) > Math.PI - m) hits++;
    });
  }
  assert.ok(hits >= 2, `only ${hits} rows in the branch`);
});
