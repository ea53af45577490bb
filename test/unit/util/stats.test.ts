import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mean, std, median, quantile, quantiles, min, max, summarise } from '../../../lib/util/stats';

// Expected values printed by numpy 1.24:
// v = np.array([3.5, -1.25, 7.0, 0.0, 2.2, 9.9, -4.4, 2.2, 5.05, 1.0])
// v.mean(), v.std(), v.std(ddof=1), np.median(v), np.quantile(v, [0, .1, .25, .5, .75, .99, 1])
const v = [3.5, -1.25, 7.0, 0.0, 2.2, 9.9, -4.4, 2.2, 5.05, 1.0];
const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('mean and std (ddof 0 and 1) match numpy', () => {
  close(mean(v), 2.5200000000000005);
  close(std(v), 3.909744237159255);
  close(std(v, 1), 4.121232286046925);
  close(summarise(v).mean, 2.5200000000000005);
  close(summarise(v).std, 3.909744237159255);
});

test('quantiles use numpy linear interpolation at q*(n-1)', () => {
  const expected = [-4.4, -1.565, 0.25, 2.2, 4.6625, 9.639000000000001, 9.9];
  const got = quantiles(v, [0, 0.1, 0.25, 0.5, 0.75, 0.99, 1]);
  got.forEach((g, i) => close(g, expected[i]));
  close(quantile(v, 0.99), 9.639000000000001);
  assert.equal(median(v), 2.2);
  assert.equal(median([3.5, -1.25, 7.0, 0.0, 2.2]), 2.2);
  assert.equal(quantile([3.5], 0.3), 3.5);
  assert.equal(min(v), -4.4);
  assert.equal(max(v), 9.9);
  // Input order must not matter and must not be modified.
  const copy = v.slice();
  quantile(copy, 0.5);
  assert.deepEqual(copy, v);
});

test('bad input is refused with the reason', () => {
  assert.throws(() => mean([]), /mean: empty input/);
  assert.throws(() => std([1, NaN]), /index 1 is NaN/);
  assert.throws(() => std([1], 1), /needs more than ddof=1 values, got 1/);
  assert.throws(() => std([1, 2], -1), /ddof must be a non-negative integer/);
  assert.throws(() => quantile([1, 2], 1.5), /q must be in \[0, 1\]/);
  assert.throws(() => quantiles([1, 2], [0.5, -0.1]), /q must be in \[0, 1\]/);
});
