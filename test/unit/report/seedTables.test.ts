/**
 * Tables 1 and 2 of a multi-seed experiment: mean and 95% t-interval across seeds, and the paired
 * BGAugment − base difference. Expected values computed by hand (python3, t quantiles from
 * scipy.stats.t.ppf(0.975, dof): 4.302652729911275 for 2 dof, 12.706204736174707 for 1 dof):
 *   base clean [0.50, 0.52, 0.54]    -> 52.00 [47.03, 56.97]
 *   BGA clean  [0.55, 0.56, 0.60]    -> 57.00 [50.43, 63.57]; paired diffs [.05, .04, .06] -> 5.00 [2.52, 7.48]
 *   base swapped [0.30, 0.33, 0.36]  -> 33.00 [25.55, 40.45]
 *   BGA swapped  [0.40, 0.45, 0.44]  -> 43.00 [36.43, 49.57]; diffs [.10, .12, .08] -> 10.00 [5.03, 14.97]
 *   attention base [0.10, 0.13, 0.16] -> 0.13 [0.06, 0.20]; BGA [0.50, 0.60, 0.58] -> 0.56 [0.43, 0.69];
 *   diffs [.40, .47, .42] -> 0.43 [0.34, 0.52]
 *   BGA seed 3 missing: BGA clean [0.55, 0.56] -> 55.50 [49.15, 61.85]; paired over seeds 1, 2:
 *   diffs [.05, .04] -> 4.50 [-1.85, 10.85]
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable1, renderTable2 } from '../../../lib/report/tables';
import type { Report, ReportCell } from '../../../lib/report/schema';
import { sampleReport } from './sampleReport';

function cell(mode: ReportCell['mode'], seed: number, clean: number, swapped: number, attention: number): ReportCell {
  const rep = { mean: swapped, std: 0.01, reps: [swapped - 0.01, swapped + 0.01] };
  return {
    dataset: 'cub',
    loss: 'arcface',
    mode,
    seed,
    bestEpoch: 1,
    epochsTrained: 2,
    clean: { mapAtR: clean, precisionAt1: 0.9, rPrecision: 0.6 },
    swapped: { mapAtR: rep, precisionAt1: rep, rPrecision: rep },
    attention: { mean: attention, std: 0.05, n: 10 },
  };
}

function threeSeeds(): Report {
  return {
    ...sampleReport(),
    cells: [
      cell('base', 1, 0.5, 0.3, 0.1),
      cell('base', 2, 0.52, 0.33, 0.13),
      cell('base', 3, 0.54, 0.36, 0.16),
      cell('bgaugment', 1, 0.55, 0.4, 0.5),
      cell('bgaugment', 2, 0.56, 0.45, 0.6),
      cell('bgaugment', 3, 0.6, 0.44, 0.58),
    ],
  };
}

test('Table 1 over three seeds: mean [95% CI] per mode and the paired BGAugment − base difference', () => {
  assert.equal(
    renderTable1(threeSeeds(), 'md'),
    [
      '| Loss | cub clean | cub swapped |',
      '|:---|---:|---:|',
      '| arcface | 52.00 [47.03, 56.97] (n=3) | 33.00 [25.55, 40.45] (n=3) |',
      '| arcface + BGAugment | 57.00 [50.43, 63.57] (n=3) | 43.00 [36.43, 49.57] (n=3) |',
      '| arcface: BGAugment − base (paired) | 5.00 [2.52, 7.48] (n=3) | 10.00 [5.03, 14.97] (n=3) |',
      '',
    ].join('\n'),
  );
});

test('Table 2 over three seeds: attention score mean [95% CI] and the paired difference', () => {
  assert.equal(
    renderTable2(threeSeeds(), 'md'),
    [
      '| Loss | cub |',
      '|:---|---:|',
      '| arcface | 0.13 [0.06, 0.20] (n=3) |',
      '| arcface + BGAugment | 0.56 [0.43, 0.69] (n=3) |',
      '| arcface: BGAugment − base (paired) | 0.43 [0.34, 0.52] (n=3) |',
      '',
    ].join('\n'),
  );
});

test('a seed missing in one mode: that mode over its seeds, the difference over the seeds both have', () => {
  const r = threeSeeds();
  r.cells = r.cells.filter((c) => !(c.mode === 'bgaugment' && c.seed === 3));
  const md = renderTable1(r, 'md');
  assert.match(md, /\| arcface \+ BGAugment \| 55\.50 \[49\.15, 61\.85\] \(n=2\) \|/);
  assert.match(md, /\| arcface: BGAugment − base \(paired\) \| 4\.50 \[-1\.85, 10\.85\] \(n=2\) \|/);
  // base still over its three seeds
  assert.match(md, /\| arcface \| 52\.00 \[47\.03, 56\.97\] \(n=3\) \|/);
});

test('one seed keeps the plain table (no interval to show)', () => {
  const r = threeSeeds();
  r.cells = r.cells.filter((c) => c.seed === 1);
  assert.match(renderTable1(r, 'md'), /\| arcface \| 50\.00 \| 30\.00 ± 1\.00 \|/);
});

test('two cells for the same seed are an error naming it', () => {
  const r = threeSeeds();
  r.cells.push(cell('base', 2, 0.5, 0.3, 0.1));
  assert.throws(() => renderTable1(r, 'md'), /two cells for dataset=cub loss=arcface mode=base seed=2/);
});
