import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../lib/ml/backend';
import { createSmallCnn } from '../../../lib/ml/models/smallCnn';
import { summedAbsGradients } from '../../../lib/ml/attribution/smoothGrad';
import { chanceShare, periodicShare } from '../../../lib/ml/attribution/periodicity';
import { Rng } from '../../../lib/util/rng';

// Native TensorFlow when set up, else tfjs 'cpu' (tensors here are tiny either way).
before(async () => {
  await initBackend();
});

const TINY = { inputSize: 16, width: 2, embeddingSize: 4 };

function images(n: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomNormal([n, size, size, 3], 0, 60, 'float32', seed) as tf.Tensor4D;
}

test('embed gives [N, embeddingSize] unit-length rows and names its weights', () => {
  const model = createSmallCnn({ seed: 1, inputSize: 32, width: 4, embeddingSize: 8 });
  const x = images(3, 32, 7);
  const e = model.embed(x);
  assert.deepEqual(e.shape, [3, 8]);
  const norms = tf.tidy(() => tf.norm(e, 'euclidean', 1).arraySync() as number[]);
  for (const n of norms) assert.ok(Math.abs(n - 1) < 1e-5, `row norm ${n}`);
  assert.deepEqual(
    [...model.namedWeights().keys()],
    [
      'block1.conv.weight',
      'block1.conv.bias',
      'block2.conv.weight',
      'block2.conv.bias',
      'block3.conv.weight',
      'block3.conv.bias',
      'block4.conv.weight',
      'block4.conv.bias',
      'embedder.weight',
      'embedder.bias',
    ],
  );
  assert.deepEqual(model.namedWeights().get('block3.conv.weight')!.shape, [4, 4, 8, 16]);
  assert.deepEqual(model.namedWeights().get('embedder.weight')!.shape, [16, 8]);
  tf.dispose([x, e]);
  model.dispose();
});

test('default preset: 64x64 input, channels 32-64-128-128, 128-d embedding', () => {
  const model = createSmallCnn({ seed: 'defaults' });
  assert.equal(model.inputSize, 64);
  assert.equal(model.embeddingSize, 128);
  const shapes = [...model.namedWeights().values()].map((v) => v.shape.join('x'));
  assert.deepEqual(shapes, [
    '4x4x3x32',
    '32',
    '4x4x32x64',
    '64',
    '4x4x64x128',
    '128',
    '4x4x128x128',
    '128',
    '128x128',
    '128',
  ]);
  model.dispose();
});

test('initialisation is a function of the seed: He-normal conv spread, PyTorch Linear bounds', () => {
  const a = createSmallCnn({ seed: 'same', ...TINY });
  const b = createSmallCnn({ seed: 'same', ...TINY });
  const c = createSmallCnn({ seed: 'other', ...TINY });
  for (const [name, v] of a.namedWeights()) {
    assert.deepEqual(v.dataSync(), b.namedWeights().get(name)!.dataSync(), `${name} differs for equal seeds`);
  }
  assert.notDeepEqual(
    a.namedWeights().get('block1.conv.weight')!.dataSync(),
    c.namedWeights().get('block1.conv.weight')!.dataSync(),
  );
  // Statistics on a bigger model: std of conv weights ~ sqrt(2 / (16 * cin)) (4x4 kernels).
  const big = createSmallCnn({ seed: 3, inputSize: 16, width: 32, embeddingSize: 64 });
  const w = Array.from(big.namedWeights().get('block3.conv.weight')!.dataSync()); // cin = 64
  const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(Math.abs(std - Math.sqrt(2 / (16 * 64))) < 0.02 * Math.sqrt(2 / (16 * 64)), `conv std ${std}`);
  const lin = Array.from(big.namedWeights().get('embedder.weight')!.dataSync()); // in = 128
  const bound = 1 / Math.sqrt(128);
  assert.ok(
    lin.every((v) => Math.abs(v) <= bound),
    'linear weights within 1/sqrt(fan_in)',
  );
  assert.ok(Math.max(...lin) > 0.9 * bound && Math.min(...lin) < -0.9 * bound, 'linear weights fill the range');
  for (const m of [a, b, c, big]) m.dispose();
});

for (const downsampling of ['strided', 'blurred'] as const)
  test(`${downsampling}: forward pass equals the PyTorch golden (4x4 stride-2 convs, symmetric padding, /128 input scale, GAP, L2)`, () => {
    const fx = JSON.parse(readFileSync(join(__dirname, '../../fixtures/ml/small_cnn_forward.json'), 'utf8'));
    const expected = downsampling === 'strided' ? fx.expected : fx.expectedBlurred;
    const model = createSmallCnn({
      seed: 0,
      inputSize: fx.inputSize,
      width: fx.width,
      embeddingSize: fx.embeddingSize,
      downsampling,
    });
    for (const [name, v] of model.namedWeights()) {
      const w = fx.weights[name];
      assert.ok(w, `fixture lacks ${name}`);
      assert.deepEqual(v.shape, w.shape, name);
      tf.tidy(() => v.assign(tf.tensor(w.values, w.shape)));
    }
    const x = tf.tensor4d(fx.images.values, fx.images.shape);
    const e = model.embed(x);
    const got = e.dataSync();
    expected.values.forEach((want: number, i: number) => {
      assert.ok(Math.abs(got[i] - want) < 1e-5, `element ${i}: got ${got[i]}, want ${want}`);
    });
    tf.dispose([x, e]);
    model.dispose();
  });

test('gradients reach every trainable variable', () => {
  const model = createSmallCnn({ seed: 5, ...TINY });
  const x = images(4, 16, 11);
  const target = tf.randomNormal([4, 4], 0, 1, 'float32', 13);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(model.embed(x), target)) as tf.Scalar,
    model.trainableVariables(),
  );
  assert.equal(Object.keys(grads).length, model.trainableVariables().length);
  for (const v of model.trainableVariables()) {
    const g = grads[v.name];
    assert.ok(g, `no gradient for ${v.name}`);
    const maxAbs = tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]);
    assert.ok(maxAbs > 0 && Number.isFinite(maxAbs), `gradient of ${v.name} is ${maxAbs}`);
  }
  tf.dispose([value, x, target, ...Object.values(grads)]);
  model.dispose();
});

test('bad options and inputs are rejected with the field named', () => {
  assert.throws(
    () => createSmallCnn({ seed: 1, inputSize: 30 }),
    /inputSize must be a positive multiple of 16, got 30/,
  );
  assert.throws(() => createSmallCnn({ seed: 1, width: 0 }), /width/);
  assert.throws(() => createSmallCnn({ seed: 1, embeddingSize: 2.5 }), /embeddingSize/);
  const model = createSmallCnn({ seed: 1, ...TINY });
  const wrong = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
  assert.throws(() => model.embed(wrong), /expected images \[N,16,16,3\], got \[1,32,32,3\]/);
  wrong.dispose();
  model.dispose();
  assert.throws(() => model.embed(wrong), /after dispose/);
});

test('no tensors leak from embed', () => {
  const model = createSmallCnn({ seed: 9, ...TINY });
  const x = images(2, 16, 3);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) model.embed(x).dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});

test('an all-zero embedding (before normalisation) has a finite input gradient (lib/ml/ops/l2Normalize)', () => {
  const model = createSmallCnn({ seed: 3, ...TINY });
  for (const name of ['embedder.weight', 'embedder.bias']) {
    const v = model.namedWeights().get(name)!;
    v.assign(tf.zerosLike(v));
  }
  const x = images(2, TINY.inputSize, 5);
  const g = tf.grad((t: tf.Tensor) => tf.sum(model.embed(t as tf.Tensor4D)))(x);
  const values = g.dataSync();
  assert.ok(
    values.every((v) => Number.isFinite(v)),
    'input gradient has NaN or infinite values',
  );
  tf.dispose([x, g]);
  model.dispose();
});

test("downsampling 'blurred' removes the strides' period-2 grid from the input gradients; 'strided' has it", () => {
  // SmoothGrad's raw map (summed |channel-mean gradient|) of random-init models on random images.
  // A map without periodic structure has about the chance share of its variance at period 2.
  const ratio: Record<string, number> = {};
  for (const downsampling of ['strided', 'blurred'] as const) {
    let sum = 0;
    for (let s = 0; s < 4; s++) {
      const model = createSmallCnn({ seed: s, inputSize: 32, width: 8, embeddingSize: 16, downsampling });
      const rng = Rng.fromSeed(`grid-test/${s}`);
      const image = tf.tensor3d(
        Float32Array.from({ length: 32 * 32 * 3 }, () => 50 * rng.normal()),
        [32, 32, 3],
      );
      const reference = tf.tensor1d(Float32Array.from({ length: 16 }, () => rng.normal()));
      const g = summedAbsGradients(model, image, reference, 'cosine', rng, { copies: 4, noiseLevel: 0.15 });
      sum += periodicShare(g, 32, 2) / chanceShare(32, 2);
      tf.dispose([image, reference]);
      model.dispose();
    }
    ratio[downsampling] = sum / 4;
  }
  assert.ok(ratio.strided > 5, `strided: period-2 share ${ratio.strided.toFixed(1)}x chance, expected a grid`);
  assert.ok(ratio.blurred < 2, `blurred: period-2 share ${ratio.blurred.toFixed(1)}x chance, expected none`);
});
