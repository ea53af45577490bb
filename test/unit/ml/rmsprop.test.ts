import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TorchRMSprop, type RMSpropOptions } from '../../../lib/ml/optim/rmsprop';

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

const cases = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'ml', 'rmsprop.json'), 'utf8')) as { cases: Case[] }).cases;

/** max|a-b| / max(max|b|, 1e-12) over one array (float32 ours vs torch float64). */
function relErr(ours: ArrayLike<number>, ref: number[]): number {
  assert.equal(ours.length, ref.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(ours[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return d / Math.max(m, 1e-12);
}

let counter = 0;
function setup(c: Case) {
  const prefix = `rmsprop-test-${counter++}`;
  const vars = new Map<string, tf.Variable>();
  for (const [n, shape] of Object.entries(c.shapes)) {
    vars.set(n, tf.tidy(() => tf.variable(tf.tensor(c.init[n], shape), true, `${prefix}/${n}`)));
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
        const e = relErr(v.dataSync(), ref);
        assert.ok(e < 1e-6, `step ${step + 1} ${n}: rel err ${e}`);
        // The updates themselves (tiny at lr 1e-6) must match too, not just the parameters.
        const init = c.init[n];
        const ours = Array.from(v.dataSync(), (x, i) => x - init[i]);
        const dRef = ref.map((x, i) => x - init[i]);
        const eDelta = relErr(ours, dRef);
        assert.ok(eDelta < 1e-4, `step ${step + 1} ${n}: update rel err ${eDelta}`);
      }
    }
    const state = await opt.getState();
    assert.equal(state.step, 5);
    for (const [n, ref] of Object.entries(c.finalState)) {
      const s = state.buffers[vars.get(n)!.name];
      assert.ok(relErr(s.squareAvg, ref.squareAvg) < 1e-5, `${n} squareAvg`);
      if (ref.momentumBuffer) assert.ok(relErr(s.momentumBuffer!, ref.momentumBuffer) < 1e-5, `${n} momentumBuffer`);
      else assert.equal(s.momentumBuffer, undefined);
      if (ref.gradAvg) assert.ok(relErr(s.gradAvg!, ref.gradAvg) < 1e-5, `${n} gradAvg`);
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
  const vars = new Map([...names].map(([n, name]) => [n, tf.tidy(() => tf.variable(tf.tensor(paramsAt2.get(n)!, c.shapes[n]), true, name))]));
  const opt = new TorchRMSprop(c.groups.map((g) => ({ params: g.params.map((n) => vars.get(n)!), lr: g.lr })), c.options);
  opt.setState(structuredClone(saved));
  for (let s = 2; s < 5; s++) {
    const g = Object.fromEntries(Object.entries(c.grads[s]).map(([n, x]) => [names.get(n)!, tf.tensor(x, c.shapes[n])]));
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
  assert.throws(() => new TorchRMSprop([{ params: [v], lr: 0.1 }, { params: [v], lr: 1 }]), /rmsprop-err\/v appears in groups 0 and 1/);
  assert.throws(() => new TorchRMSprop([{ params: [v], lr: -1 }]), /group 0 lr must be/);
  assert.throws(() => new TorchRMSprop([]), /at least one parameter group/);
  const opt = new TorchRMSprop([{ params: [v, w], lr: 0.1 }], { momentum: 0.9 });
  const g = tf.ones([3]);
  assert.throws(() => opt.step({ 'rmsprop-err/v': g }), /gradient for rmsprop-err\/v has shape \[3\], parameter has \[2,2\]/);
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
