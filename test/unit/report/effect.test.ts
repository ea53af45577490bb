import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeEffect } from '../../../lib/report/effect';
import { sampleReport } from './sampleReport';

const close = (a: number | null, b: number, what: string) =>
  assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} != ${b}`);

test('effect numbers computed by hand', () => {
  const e = computeEffect(sampleReport().cells);
  // base drops: cub 0.5234 - 0.31 = 0.2134, sop 0.2 - 0.1 = 0.1 -> 0.1567
  close(e.baseMeanDrop, 0.1567, 'baseMeanDrop');
  // bgaugment drops: cub 0.48 - 0.4567 = 0.0233, sop 0.25 - 0.24 = 0.01 -> 0.01665
  close(e.bgaugmentMeanDrop, 0.01665, 'bgaugmentMeanDrop');
  close(e.ratio, 0.1567 / 0.01665, 'ratio');
  close(e.baseMeanAttention, 0.2, 'baseMeanAttention');
  close(e.bgaugmentMeanAttention, 0.6, 'bgaugmentMeanAttention');
});

test('no BGAugment drop gives a null ratio; missing attention gives null means; one mode only is an error', () => {
  const cells = sampleReport().cells.map((c) => ({ ...c, attention: undefined }));
  for (const c of cells)
    if (c.mode === 'bgaugment')
      c.swapped = { ...c.swapped, mapAtR: { ...c.swapped.mapAtR, mean: c.clean.mapAtR + 0.01 } };
  const e = computeEffect(cells);
  close(e.bgaugmentMeanDrop, -0.01, 'bgaugmentMeanDrop');
  assert.equal(e.ratio, null);
  assert.equal(e.baseMeanAttention, null);
  assert.equal(e.bgaugmentMeanAttention, null);
  assert.throws(() => computeEffect(cells.filter((c) => c.mode === 'base')), /no 'bgaugment' cells/);
});
