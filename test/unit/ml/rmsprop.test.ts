import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TorchRMSprop, type RMSpropOptions } from '../../../lib/ml/optim/rmsprop';
import { maxRelativeError } from '../../helpers/relativeError';

interface Case {
  name: string;
  options: Required<RMSpropOptions>;
  shapes: Record<string, number[]>;
  groups: Array<{ name: string; params: string[]; lr: number }>;
  init: Record<string, number[]>;
  grads: Array<Record<string, number[]>>;
  trajectory: Array<Record<string, number[]>>;
  finalState: Record<string, { squareAvg: number[]; momentumBuffer?: number[]; gradAvg?: number[] }>;
}

const cases = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'ml', 'rmsprop.json'), 'utf8')) as { cases: Case[] }
).cases;

let counter = 0;
function setup(c: Case) {
  const prefix = `rmsprop-test-${counter++}`;
  const vars = new Map<string, tf.Variable>();
  for (const [n, shape] of Object.entries(c.shapes)) {
    vars.set(
      n,
      tf.tidy(() => tf.variable(tf.tensor(c.init[n], shape), true, `${prefix}/${n}`)),
    );
  }
  const opt = new TorchRMSprop(
    c.groups.map((g) => ({ params: g.params.map((n) => vars.get(n)!), lr: g.lr })),
    c.options,
  );
  const gradsAt = (step: number): tf.NamedTensorMap =>
    Object.fromEntries(Object.entries(c.grads[step]).map(([n, g]) => [vars.get(n)!.name, tf.tensor(g, c.shapes[n])]));
  const dispose = () => {
    opt.dispose();
    for (const v of vars.values()) v.dispose();
  };
  return { vars, opt, gradsAt, dispose };
}

for (const c of cases) {
  test(`RMSprop matches torch 1.13 over 5 steps: ${c.name}`, async () => {
    const { vars, opt, gradsAt, dispose } = setup(c);
    let tensorsAfterFirstStep = -1;
    for (let step = 0; step < c.trajectory.length; step++) {
      const grads = gradsAt(step);
      opt.step(grads);
      tf.dispose(Object.values(grads));
      if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
      else assert.equal(tf.memory().numTensors, tensorsAfterFirstStep, `tensor count changed at step ${step}`);
      for (const [n, v] of vars) {
        const ref = c.trajectory[step][n];
        const e = maxRelativeError(v.dataSync(), ref);
        assert.ok(e < 1e-6, `step ${step + 1} ${n}: rel err ${e}`);
        // The updates themselves (tiny at lr 1e-6) must match too, not just the parameters.
        const init = c.init[n];
        const ours = Array.from(v.dataSync(), (x, i) => x - init[i]);
        const dRef = ref.map((x, i) => x - init[i]);
        const eDelta = maxRelativeError(ours, dRef);
        assert.ok(eDelta < 1e-4, `step ${step + 1} ${n}: update rel err ${eDelta}`);
      }
    }
    const state = await opt.getState();
    assert.equal(state.step, 5);
    for (const [n, ref] of Object.entries(c.finalState)) {
      const s = state.buffers[vars.get(n)!.name];
      assert.ok(maxRelativeError(s.squareAvg, ref.squareAvg) < 1e-5, `${n} squareAvg`);
      if (ref.momentumBuffer)
        assert.ok(maxRelativeError(s.momentumBuffer!, ref.momentumBuffer) < 1e-5, `${n} momentumBuffer`);
      else assert.equal(s.momentumBuffer, undefined);
      if (ref.gradAvg) assert.ok(maxRelativeError(s.gradAvg!, ref.gradAvg) < 1e-5, `${n} gradAvg`);
    }
    dispose();
  });
}

test('getState/setState resumes mid-run exactly like an uninterrupted run', async () => {
  const c = cases[0];
  const a = setup(c);
  for (let s = 0; s < 5; s++) {
    const g = a.gradsAt(s);
    a.opt.step(g);
    tf.dispose(Object.values(g));
  }
  const b = setup(c);
  for (let s = 0; s < 2; s++) {
    const g = b.gradsAt(s);
    b.opt.step(g);
    tf.dispose(Object.values(g));
  }
  const saved = await b.opt.getState();
  const paramsAt2 = new Map([...b.vars].map(([n, v]) => [n, Array.from(v.dataSync())]));
  // A fresh optimiser over fresh variables named like b's (as after a restart): restore and continue.
  const names = new Map([...b.vars].map(([n, v]) => [n, v.name]));
  b.dispose();
  const vars = new Map(
    [...names].map(([n, name]) => [
      n,
      tf.tidy(() => tf.variable(tf.tensor(paramsAt2.get(n)!, c.shapes[n]), true, name)),
    ]),
  );
  const opt = new TorchRMSprop(
    c.groups.map((g) => ({ params: g.params.map((n) => vars.get(n)!), lr: g.lr })),
    c.options,
  );
  opt.setState(structuredClone(saved));
  for (let s = 2; s < 5; s++) {
    const g = Object.fromEntries(
      Object.entries(c.grads[s]).map(([n, x]) => [names.get(n)!, tf.tensor(x, c.shapes[n])]),
    );
    opt.step(g);
    tf.dispose(Object.values(g));
  }
  for (const [n, v] of vars) assert.deepEqual(Array.from(v.dataSync()), Array.from(a.vars.get(n)!.dataSync()), n);
  assert.equal(opt.stepCount, 5);
  opt.dispose();
  for (const v of vars.values()) v.dispose();
  a.dispose();
});

test('bad groups, gradients and states are clear errors; a parameter without gradient is skipped', async () => {
  const before = tf.memory().numTensors;
  const v = tf.tidy(() => tf.variable(tf.ones([2, 2]), true, 'rmsprop-err/v'));
  const w = tf.tidy(() => tf.variable(tf.ones([3]), true, 'rmsprop-err/w'));
  assert.throws(
    () =>
      new TorchRMSprop([
        { params: [v], lr: 0.1 },
        { params: [v], lr: 1 },
      ]),
    /rmsprop-err\/v appears in groups 0 and 1/,
  );
  assert.throws(() => new TorchRMSprop([{ params: [v], lr: -1 }]), /group 0 lr must be/);
  assert.throws(() => new TorchRMSprop([]), /at least one parameter group/);
  const opt = new TorchRMSprop([{ params: [v, w], lr: 0.1 }], { momentum: 0.9 });
  const g = tf.ones([3]);
  assert.throws(
    () => opt.step({ 'rmsprop-err/v': g }),
    /gradient for rmsprop-err\/v has shape \[3\], parameter has \[2,2\]/,
  );
  assert.throws(() => opt.step({ other: g }), /gradient for other, which is in no parameter group/);
  opt.step({ 'rmsprop-err/w': g });
  assert.deepEqual(Array.from(v.dataSync()), [1, 1, 1, 1], 'v had no gradient and must not move');
  // First step with g = 1: v = 0.01, buf = 1 / (0.1 + 1e-8), w = 1 - 0.1 * buf.
  const expected = 1 - 0.1 * (1 / (Math.sqrt(0.01) + 1e-8));
  for (const x of w.dataSync()) assert.ok(Math.abs(x - expected) < 1e-6, `w ${x} vs ${expected}`);
  const state = await opt.getState();
  assert.deepEqual(Object.keys(state.buffers), ['rmsprop-err/w']);
  const other = new TorchRMSprop([{ params: [v, w], lr: 0.1 }], { momentum: 0 });
  assert.throws(() => other.setState(state), /option momentum is 0.9 in the state, 0 here/);
  const bad = structuredClone(state);
  bad.buffers['rmsprop-err/w'].squareAvg = new Float32Array(2);
  assert.throws(() => opt.setState(bad), /rmsprop-err\/w.squareAvg has 2 values, expected 3/);
  g.dispose();
  opt.dispose();
  other.dispose();
  v.dispose();
  w.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
});

/**
 * The optimiser updates all parameters as one flat vector. Reference: torch's per-parameter update
 * written out with the same float32 ops, one parameter at a time. Equality must be bitwise (same ops
 * per element), across two groups with different rates, a rate change, and steps where one parameter
 * has no gradient (its values and buffers must not move).
 */
test('flat update is bitwise the per-parameter torch update (groups, setLr, skipped parameters)', async () => {
  const o = { alpha: 0.95, eps: 1e-8, weightDecay: 1e-3, momentum: 0.5, centered: true };
  const shapes = [[3, 3, 2, 4], [4], [7, 5], [300]];
  const make = (tag: string) =>
    shapes.map((s, i) =>
      tf.tidy(() => tf.variable(tf.randomNormal(s, 0, 1, 'float32', i + 1), true, `rmsprop-flat-${tag}/${i}`)),
    );
  const ours = make('ours');
  const ref = make('ref');
  const lrs = [1e-3, 3e-2];
  const groupOf = (i: number) => (i < 2 ? 0 : 1);
  const opt = new TorchRMSprop(
    [
      { params: ours.slice(0, 2), lr: lrs[0] },
      { params: ours.slice(2), lr: lrs[1] },
    ],
    o,
  );
  const buf = ref.map((v) => ({ v: tf.zerosLike(v), ga: tf.zerosLike(v), m: tf.zerosLike(v) }));
  for (let step = 0; step < 8; step++) {
    if (step === 5) {
      opt.setLr(1, 5e-3);
      lrs[1] = 5e-3;
    }
    const skipped = step % 3 === 1 ? 2 : -1;
    const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 1 + step, 'float32', 100 * (step + 1) + i));
    opt.step(Object.fromEntries(ours.map((v, i) => [v.name, grads[i]]).filter((_, i) => i !== skipped)));
    ref.forEach((p, i) => {
      if (i === skipped) return;
      const b = buf[i];
      const [v, ga, m, next] = tf.tidy(() => {
        const g = tf.add(grads[i], tf.mul(p, o.weightDecay));
        const v = tf.add(tf.mul(b.v, o.alpha), tf.mul(tf.square(g), 1 - o.alpha));
        const ga = tf.add(tf.mul(b.ga, o.alpha), tf.mul(g, 1 - o.alpha));
        const avg = tf.add(tf.sqrt(tf.sub(v, tf.square(ga))), o.eps);
        const m = tf.add(tf.mul(b.m, o.momentum), tf.div(g, avg));
        return [v, ga, m, tf.sub(p, tf.mul(m, lrs[groupOf(i)]))];
      });
      tf.dispose([b.v, b.ga, b.m]);
      Object.assign(b, { v, ga, m });
      p.assign(next);
      next.dispose();
    });
    tf.dispose(grads);
  }
  const state = await opt.getState();
  ours.forEach((p, i) => {
    assert.deepEqual(Array.from(p.dataSync()), Array.from(ref[i].dataSync()), `parameter ${i}`);
    const s = state.buffers[p.name];
    assert.deepEqual(Array.from(s.squareAvg), Array.from(buf[i].v.dataSync()), `squareAvg ${i}`);
    assert.deepEqual(Array.from(s.gradAvg!), Array.from(buf[i].ga.dataSync()), `gradAvg ${i}`);
    assert.deepEqual(Array.from(s.momentumBuffer!), Array.from(buf[i].m.dataSync()), `momentumBuffer ${i}`);
  });
  opt.dispose();
  tf.dispose([...ours, ...ref, ...buf.flatMap((b) => [b.v, b.ga, b.m])]);
});
