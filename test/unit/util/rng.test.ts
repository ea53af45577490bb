import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../lib/util/rng';

test('same seed gives the same stream; state round-trips', () => {
  const a = Rng.fromSeed(42);
  const b = Rng.fromSeed(42);
  for (let i = 0; i < 100; i++) assert.equal(a.nextUint32(), b.nextUint32());
  const c = Rng.fromState(a.state());
  for (let i = 0; i < 100; i++) assert.equal(a.uniform(), c.uniform());
});

test('uniform is in [0,1) with mean ~0.5; normal has mean ~0 and variance ~1', () => {
  const r = Rng.fromSeed('moments');
  const n = 200_000;
  let s = 0,
    sn = 0,
    sn2 = 0;
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    s += u;
    const z = r.normal();
    sn += z;
    sn2 += z * z;
  }
  assert.ok(Math.abs(s / n - 0.5) < 0.005);
  assert.ok(Math.abs(sn / n) < 0.01);
  assert.ok(Math.abs(sn2 / n - 1) < 0.02);
});

test('int covers the inclusive range uniformly; derive gives independent named streams', () => {
  const r = Rng.fromSeed(7);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 40_000; i++) counts[r.int(0, 3)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `count ${c}`);
  const base = Rng.fromSeed(1);
  assert.notEqual(base.derive('bg', 0).nextUint32(), base.derive('bg', 1).nextUint32());
  assert.equal(base.derive('bg', 0).nextUint32(), Rng.fromSeed(1).derive('bg', 0).nextUint32());
  assert.throws(() => r.int(3, 1), /invalid range/);
  assert.throws(() => Rng.fromState([1, 2] as never), /invalid RNG state/);
});
