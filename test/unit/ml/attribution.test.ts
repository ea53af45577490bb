import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { normaliseAttention, smoothGradAttentionMap, summedAbsGradients } from '../../../lib/ml/attribution/smoothGrad';
import { attentionScore } from '../../../lib/ml/attribution/attentionScore';
import { mapQuantile } from '../../../lib/ml/attribution/quantile';
import { blackReferenceEmbedding } from '../../../lib/ml/attribution/blackReference';
import type { EmbeddingModel } from '../../../lib/ml/models/types';
import { l2Normalize } from '../../../lib/ml/ops/l2Normalize';
import { Rng } from '../../../lib/util/rng';

// Golden values: scripts/fixtures/gen_attention.py (torch 1.13 autograd, PML 1.7.3 distances, the
// reference's analysis.py lines).
interface Fixture {
  post: { shape: [number, number]; g: number[]; vMax: number; vMin: number; attention: number[] };
  score: Array<{ name: string; mask: number[]; score: number }>;
  gradient: {
    height: number;
    width: number;
    copies: number;
    noiseLevel: number;
    convKernelHWIO: number[];
    convBias: number[];
    fcWeightInOut: number[];
    fcBias: number[];
    image: number[];
    black: number[];
    noise: number[];
    mask: number[];
    baseEmbedding: number[];
    cases: Array<{
      distance: 'euclidean' | 'cosine';
      summedAbsGradients: number[];
      attention: number[];
      score: number;
    }>;
  };
}
const fx = JSON.parse(readFileSync(join(__dirname, '../../fixtures/ml/attention.json'), 'utf8')) as Fixture;

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** The fixture's tiny network (conv3x3 + bias, tanh, global mean, linear + bias, L2 normalise). */
function tinyNet(): EmbeddingModel {
  const g = fx.gradient;
  const kernel = tf.tensor4d(g.convKernelHWIO, [3, 3, 3, 4]);
  const convBias = tf.tensor1d(g.convBias);
  const fcW = tf.tensor2d(g.fcWeightInOut, [4, 3]);
  const fcB = tf.tensor1d(g.fcBias);
  return {
    name: 'tiny',
    inputSize: g.height,
    embeddingSize: 3,
    embed: (x) =>
      tf.tidy(() => {
        const h = tf.mean(tf.tanh(tf.add(tf.conv2d(x, kernel, 1, 'same'), convBias)), [1, 2]) as tf.Tensor2D;
        const e = tf.add(tf.matMul(h, fcW), fcB) as tf.Tensor2D;
        return l2Normalize(e);
      }),
    trainableVariables: () => [],
    namedWeights: () => new Map(),
    dispose: () => tf.dispose([kernel, convBias, fcW, fcB]),
  };
}

test('map post-processing matches torch.quantile + clamp', () => {
  const g = Float32Array.from(fx.post.g);
  assert.ok(Math.abs(mapQuantile(g, 0.99) - fx.post.vMax) < 1e-5 * fx.post.vMax);
  assertClose(normaliseAttention(g), fx.post.attention, 1e-5, 'attention');
});

test('quantile: hand-computed linear interpolation, and NaN refused', () => {
  // sorted [1,2,3,4,10]: q=0.99 -> position 3.96 -> 4 + 0.96*6 = 9.76
  assert.ok(Math.abs(mapQuantile(Float32Array.from([10, 3, 1, 4, 2]), 0.99) - 9.76) < 1e-12);
  assert.equal(mapQuantile(Float32Array.from([5]), 0.99), 5);
  assert.throws(() => mapQuantile(Float32Array.from([1, NaN]), 0.5), /contains NaN/);
});

test('flat maps follow torch arithmetic: NaN where g = v_min, 1 above it', () => {
  const g = new Float32Array(200).fill(2);
  g[7] = 5; // above the 0.99 quantile (which is 2): (5-2)/0 = inf -> 1
  const att = normaliseAttention(g);
  assert.equal(att[7], 1);
  assert.ok(Number.isNaN(att[0]));
});

test('attention score matches the reference formula on soft masks', () => {
  const att = Float32Array.from(fx.post.attention);
  for (const c of fx.score) {
    const s = attentionScore(att, Float32Array.from(c.mask));
    assert.ok(Math.abs(s - c.score) < 1e-5, `${c.name}: ${s} vs ${c.score}`);
  }
});

test('attention score: hand cases and documented degenerate cases', () => {
  const A = (...v: number[]) => Float32Array.from(v);
  // All attention on the object half: a_m = 1, p_m = 0.5 -> 1. Uniform attention -> 0 (chance).
  assert.equal(attentionScore(A(1, 1, 0, 0), A(1, 1, 0, 0)), 1);
  assert.equal(attentionScore(A(1, 1, 1, 1), A(1, 1, 0, 0)), 0);
  // All attention on the background: a_m = 0, p_m = 0.5 -> -1.
  assert.equal(attentionScore(A(0, 0, 1, 1), A(1, 1, 0, 0)), -1);
  // Soft mask 0.5 everywhere: a_m = p_m = 0.5 -> 0.
  assert.equal(attentionScore(A(0.2, 0.9, 0, 1), A(0.5, 0.5, 0.5, 0.5)), 0);
  assert.ok(Number.isNaN(attentionScore(A(0, 0, 0, 0), A(1, 0, 0, 0))), 'all-zero attention -> NaN');
  assert.ok(Number.isNaN(attentionScore(A(0.3, 1, 0, 0), A(1, 1, 1, 1))), 'mask all ones -> NaN');
  assert.equal(attentionScore(A(0.3, 1, 0, 0), A(0, 0, 0, 0)), 0, 'mask all zeros -> 0, as the formula gives');
  assert.ok(Number.isNaN(attentionScore(A(NaN, 1, 0, 0), A(1, 0, 0, 0))), 'NaN attention -> NaN');
  assert.throws(() => attentionScore(A(1, 2), A(1)), /attention has 2 values but the mask has 1/);
  assert.throws(() => attentionScore(A(1, 2), A(1, 255)), /mask value 255 at index 1 is outside \[0, 1\]/);
  assert.throws(() => attentionScore(A(-1, 2), A(1, 0)), /attention value -1 at index 0 is negative/);
});

test('smoothGradAttentionMap equals the torch autograd map with the same noise (both distances, batched)', () => {
  const g = fx.gradient;
  const net = tinyNet();
  const image = tf.tensor3d(g.image, [g.height, g.width, 3]);
  const black = tf.tensor3d(g.black, [g.height, g.width, 3]);
  const reference = blackReferenceEmbedding(net, black);
  try {
    assertClose(reference.dataSync(), g.baseEmbedding, 1e-5, 'black reference embedding');
    const noise = Float32Array.from(g.noise);
    for (const c of g.cases) {
      for (const batchSize of [5, 2]) {
        const opts = {
          copies: g.copies,
          noiseLevel: g.noiseLevel,
          batchSize,
          standardNormal: (n: number) => (assert.equal(n, noise.length), noise),
        };
        const sums = summedAbsGradients(net, image, reference, c.distance, Rng.fromSeed(1), opts);
        assertClose(sums, c.summedAbsGradients, 2e-4, `${c.distance} gradients (batch ${batchSize})`);
        const map = smoothGradAttentionMap(net, image, reference, c.distance, Rng.fromSeed(1), opts);
        assert.deepEqual(map.shape, [g.height, g.width]);
        const att = map.dataSync() as Float32Array;
        map.dispose();
        assertClose(att, c.attention, 5e-4, `${c.distance} attention`);
        assert.ok(Math.abs(attentionScore(att, Float32Array.from(g.mask)) - c.score) < 1e-4);
      }
    }
  } finally {
    tf.dispose([image, black, reference]);
    net.dispose();
  }
});

test('smoothGradAttentionMap with the seeded RNG: deterministic, in [0, 1], no leaked tensors', () => {
  const g = fx.gradient;
  const net = tinyNet();
  const image = tf.tensor3d(g.image, [g.height, g.width, 3]);
  const reference = tf.tensor1d(g.baseEmbedding);
  const before = tf.memory().numTensors;
  const a = smoothGradAttentionMap(net, image, reference, 'cosine', Rng.fromSeed('att'), { copies: 3 });
  const b = smoothGradAttentionMap(net, image, reference, 'cosine', Rng.fromSeed('att'), { copies: 3 });
  const c = smoothGradAttentionMap(net, image, reference, 'cosine', Rng.fromSeed('other'), { copies: 3 });
  assert.deepEqual(a.dataSync(), b.dataSync());
  assert.notDeepEqual(a.dataSync(), c.dataSync());
  assert.ok(Array.from(a.dataSync()).every((v) => v >= 0 && v <= 1));
  tf.dispose([a, b, c]);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(
    () => smoothGradAttentionMap(net, image, tf.tensor1d([1, 0]), 'cosine', Rng.fromSeed(1)),
    /reference must be \[3\]/,
  );
  assert.throws(
    () => smoothGradAttentionMap(net, image, reference, 'l1' as 'cosine', Rng.fromSeed(1)),
    /distance must be/,
  );
  tf.dispose([image, reference]);
  net.dispose();
});
