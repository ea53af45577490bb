import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  bnInceptionParameterShapes,
  bnInceptionSupportsInput,
  createBnInception,
  type TorchWeight,
} from '../../../lib/ml/models/bnInception';
import { avgPool2dTorch, maxPool2dTorch } from '../../../lib/ml/models/layers/torchPool';
import { loadBnInceptionWeights } from '../../../lib/ml/models/pretrained';
import { relativeL2Error } from '../../helpers/relativeError';

const dir = join(__dirname, '../../fixtures/bninception');
const forward = JSON.parse(readFileSync(join(dir, 'forward.json'), 'utf8'));
const pools = JSON.parse(readFileSync(join(dir, 'pools.json'), 'utf8'));

/** The generator's deterministic weights (scripts/fixtures/gen_bninception.py `pattern`), recomputed exactly. */
function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}
function pattern(name: string, shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const salt = fnv1a32(name);
  const out = new Float32Array(n);
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    // (i * 2654435761 + salt) mod 2^32, exactly: imul keeps the low 32 bits of the product.
    const u = ((Math.imul(i, 2654435761 | 0) + salt) >>> 0) / 4294967296;
    let v: number;
    if (name === 'input') v = (u - 0.5) * 200;
    else if (name.endsWith('_bn.weight')) v = 0.8 + 0.4 * u;
    else if (name.endsWith('_bn.running_var')) v = 0.5 + u;
    else if (name.endsWith('_bn.bias') || name.endsWith('_bn.running_mean') || name.endsWith('.bias'))
      v = (u - 0.5) * 0.2;
    else v = (u - 0.5) * 2 * Math.sqrt(3) * Math.sqrt(2 / fanIn);
    out[i] = v;
  }
  return out;
}

function fixtureWeights(): Map<string, TorchWeight> {
  const m = new Map<string, TorchWeight>();
  for (const p of forward.parameters as Array<{ name: string; shape: number[] }>)
    m.set(p.name, { shape: p.shape, data: pattern(p.name, p.shape) });
  return m;
}

test('parameter names and shapes equal the PyTorch state_dict of Cadene BNInception + embedder', () => {
  const ours = bnInceptionParameterShapes(128);
  const theirs = new Map(
    (forward.parameters as Array<{ name: string; shape: number[] }>).map((p) => [p.name, p.shape]),
  );
  assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
  for (const [k, s] of ours) assert.deepEqual(s, theirs.get(k), k);
});

test('accepted input sides are exactly those PyTorch runs', () => {
  for (const [side, ok] of Object.entries(forward.supportedSides))
    assert.equal(bnInceptionSupportsInput(Number(side)), ok, side);
});

test('pools follow PyTorch ceil_mode / count_include_pad, including windows past the padding', async () => {
  await tf.setBackend('cpu');
  const x = tf.tensor4d(pools.input, pools.input_shape);
  for (const p of pools.pools) {
    const spec = { kernel: p.kernel, stride: p.stride, padding: p.padding, ceilMode: p.ceilMode };
    const y = p.kind === 'max' ? maxPool2dTorch(x, spec) : avgPool2dTorch(x, spec, p.countIncludePad);
    assert.deepEqual(y.shape, p.shape, JSON.stringify(p).slice(0, 120));
    const d = y.dataSync();
    for (let i = 0; i < d.length; i++)
      assert.ok(Math.abs(d[i] - p.out[i]) < 1e-5, `${p.kind} ${JSON.stringify(spec)} [${i}]`);
    y.dispose();
  }
  x.dispose();
});

function checkForward(size: number): void {
  const c = forward.cases[String(size)];
  const model = createBnInception({ weights: fixtureWeights(), seed: 1 });
  const before = tf.memory().numTensors;
  const x = tf.tensor4d(pattern('input', [1, size, size, 3]), [1, size, size, 3]);
  const e = model.embed(x);
  const got = e.dataSync();
  tf.dispose([x, e]);
  assert.equal(tf.memory().numTensors, before, 'embed leaks no tensors');
  // Tolerance: rel. L2 error 1e-4 between float32 PyTorch and float32 tfjs through ~60 conv layers.
  const err = relativeL2Error(got, c.embedding);
  assert.ok(err < 1e-4, `embedding rel err ${err} at ${size}x${size}`);
  model.dispose();
}

test('forward pass equals PyTorch on a 67x67 input (ceil-mode pools on odd maps, 2x2 final map)', async () => {
  await tf.setBackend('cpu');
  checkForward(67);
});

test("a legacy torch.save of the whole reference model (parameters as shared-storage views) loads through our reader and gives PyTorch's embedding", async () => {
  await tf.setBackend('cpu');
  const weights = await loadBnInceptionWeights(join(dir, 'shared_views_legacy.pth'));
  const expected = JSON.parse(readFileSync(join(dir, 'shared_views_forward.json'), 'utf8')).embedding as number[];
  const model = createBnInception({ weights, seed: 1 });
  const x = tf.tensor4d(pattern('input', [1, 67, 67, 3]), [1, 67, 67, 3]);
  const e = model.embed(x);
  const err = relativeL2Error(e.dataSync(), expected);
  tf.dispose([x, e]);
  model.dispose();
  assert.ok(err < 1e-4, `embedding rel err ${err}`);
});

test(
  'forward pass equals PyTorch at 227x227 (set BGBIAS_SLOW_TESTS=1)',
  { skip: process.env.BGBIAS_SLOW_TESTS !== '1' },
  async () => {
    checkForward(227);
  },
);

test('seeded model: unit-length embeddings, reproducible init, BN statistics not trainable', async () => {
  await tf.setBackend('cpu');
  const a = createBnInception({ seed: 'x', embeddingSize: 16 });
  const b = createBnInception({ seed: 'x', embeddingSize: 16 });
  const wa = a.namedWeights().get('embedder.weight')!.dataSync();
  const wb = b.namedWeights().get('embedder.weight')!.dataSync();
  assert.deepEqual(wa, wb);
  const bound = 1 / Math.sqrt(1024);
  assert.ok(
    Array.from(wa).every((w) => Math.abs(w) <= bound),
    'U(-1/sqrt(1024), 1/sqrt(1024))',
  );
  assert.deepEqual(a.namedWeights().get('embedder.weight')!.shape, [1024, 16]);
  assert.deepEqual(a.namedWeights().get('conv1_7x7_s2.weight')!.shape, [7, 7, 3, 64]);
  const trainable = new Set(a.trainableVariables());
  for (const [name, v] of a.namedWeights()) {
    assert.equal(trainable.has(v), !/running_(mean|var)$/.test(name), name);
  }
  const x = tf.zeros([1, 63, 63, 3]) as tf.Tensor4D;
  const e = a.embed(x);
  const small = tf.zeros([1, 35, 35, 3]) as tf.Tensor4D;
  assert.throws(() => a.embed(small), /input 35x35 does not fit BN-Inception/);
  small.dispose();
  assert.deepEqual(e.shape, [1, 16]);
  assert.ok(Math.abs(tf.norm(e).dataSync()[0] - 1) < 1e-5);
  tf.dispose([x, e]);
  a.dispose();
  b.dispose();
});

test('mismatched weights are named', () => {
  const w = fixtureWeights();
  w.delete('inception_4a_1x1.bias');
  w.set('conv2_3x3.weight', { shape: [1], data: new Float32Array(1) });
  w.set('fc.weight', { shape: [1], data: new Float32Array(1) });
  w.set('last_linear.weight', { shape: [1000, 1024], data: new Float32Array(1) });
  assert.throws(
    () => createBnInception({ weights: w }),
    /3 problem\(s\).*conv2_3x3\.weight: shape \[1\].*missing inception_4a_1x1\.bias.*unexpected weight fc\.weight/,
  );
});
