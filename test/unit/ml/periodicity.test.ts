import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chanceShare, periodicShare } from '../../../lib/ml/attribution/periodicity';
import { Rng } from '../../../lib/util/rng';

test('periodicShare: a checkerboard is all period 2, a constant none, a ramp only its own share (by hand)', () => {
  const size = 4;
  const checker = Array.from({ length: 16 }, (_, i) => ((i % 4) + Math.floor(i / 4)) % 2);
  assert.equal(periodicShare(checker, size, 2), 1);
  assert.equal(periodicShare(checker, size, 4), 1); // a period-2 pattern also repeats every 4
  assert.equal(periodicShare(new Array(16).fill(3), size, 2), 0);
  // Rows 0,1,2,3 (constant along x): period-2 fold of the rows gives means 1 (rows 0, 2) and 2
  // (rows 1, 3) around the mean 1.5: periodic variance 16 x 0.25 = 4 of the total 4 x (2.25 + 0.25) x 2 = 20.
  const rows = Array.from({ length: 16 }, (_, i) => Math.floor(i / 4));
  assert.equal(periodicShare(rows, size, 2), 4 / 20);
  assert.throws(() => periodicShare(rows, size, 3), /divisor/);
});

test('periodicShare: white noise keeps about the chance share', () => {
  const rng = Rng.fromSeed('white');
  const size = 64;
  for (const p of [2, 4, 8, 16]) {
    let sum = 0;
    for (let k = 0; k < 20; k++)
      sum += periodicShare(
        Float64Array.from({ length: size * size }, () => rng.normal()),
        size,
        p,
      );
    const ratio = sum / 20 / chanceShare(size, p);
    assert.ok(ratio > 0.7 && ratio < 1.3, `period ${p}: ${ratio.toFixed(2)} x chance`);
  }
});
