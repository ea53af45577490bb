/**
 * The native TensorFlow backend (scripts/setup-tensorflow.sh). CI runs that setup first, so a
 * missing native backend FAILS here; set BGBIAS_ALLOW_NO_NATIVE=1 to skip these tests instead.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, backendInfo, type BackendInfo } from '../../../lib/ml/backend';
import { createSmallCnn } from '../../../lib/ml/models/smallCnn';
import { maxRelativeError } from '../../helpers/relativeError';

const allowNoNative = process.env.BGBIAS_ALLOW_NO_NATIVE === '1';
let info: BackendInfo | undefined;
let whyNot = '';

before(async () => {
  try {
    info = await initBackend('tensorflow');
  } catch (err) {
    whyNot = (err as Error).message;
  }
});

/** A test that needs the native backend: fails without it, or skips when BGBIAS_ALLOW_NO_NATIVE=1. */
function nativeTest(name: string, fn: (t: { skip(msg: string): void }) => void | Promise<void>): void {
  test(name, async (t) => {
    if (!info) {
      if (allowNoNative) {
        t.skip(`native TensorFlow backend not available (BGBIAS_ALLOW_NO_NATIVE=1): ${whyNot}`);
        return;
      }
      assert.fail(
        `native TensorFlow backend not available: ${whyNot}\n(run bash scripts/setup-tensorflow.sh, or set ` +
          `BGBIAS_ALLOW_NO_NATIVE=1 to skip)`,
      );
    }
    await fn(t);
  });
}

nativeTest('initBackend chooses native TensorFlow, reports it, and is idempotent', async () => {
  assert.equal(info!.name, 'tensorflow');
  assert.equal(tf.getBackend(), 'tensorflow');
  assert.match(info!.package, /^@tensorflow\/tfjs-node(-gpu)?$/);
  assert.match(info!.version, /^\d+\.\d+\.\d+/);
  assert.ok(Number.isInteger(info!.threads) && info!.threads >= 1, `threads ${info!.threads}`);
  assert.strictEqual(backendInfo(), info);
  assert.strictEqual(await initBackend('auto'), info);
  assert.strictEqual(await initBackend(), info);
  await assert.rejects(initBackend('cpu'), /already runs on 'tensorflow'/);
  await assert.rejects(initBackend('bogus' as never), /unknown preference "bogus"/);
});

type Conv = {
  x: number[];
  f: number[];
  xShape: [number, number, number, number];
  fShape: [number, number, number, number];
};

/** Value and gradients (input, filter) of sum(conv2d(x, f) * g) with g a fixed weighting, as plain arrays. */
function convGrads(
  c: Conv,
  stride: number,
  pad: 'same' | 'valid',
): { y: Float32Array; dx: Float32Array; df: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(c.x, c.xShape);
    const f = tf.tensor4d(c.f, c.fShape);
    const y = tf.conv2d(x, f, stride, pad);
    // A non-uniform upstream gradient, so every output position weighs differently.
    const g = tf.sin(tf.range(0, y.size).reshape(y.shape));
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), g)),
    )([x, f]);
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, df: df.dataSync() as Float32Array };
  });
}

nativeTest('conv2d value and gradients equal the cpu backend (strides 1 and 2, same and valid)', async () => {
  // Deterministic data without touching any backend's RNG.
  const det = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3) * Math.cos(i * 0.11));
  const c: Conv = {
    xShape: [2, 7, 8, 3],
    fShape: [3, 3, 3, 4],
    x: det(2 * 7 * 8 * 3, 1.7),
    f: det(3 * 3 * 3 * 4, 0.9),
  };
  const cases: Array<[number, 'same' | 'valid']> = [
    [1, 'same'],
    [1, 'valid'],
    [2, 'same'],
    [2, 'valid'],
  ];
  const native = cases.map(([s, p]) => convGrads(c, s, p));
  assert.ok(await tf.setBackend('cpu'));
  let reference: ReturnType<typeof convGrads>[];
  try {
    reference = cases.map(([s, p]) => convGrads(c, s, p));
  } finally {
    assert.ok(await tf.setBackend('tensorflow'));
  }
  cases.forEach(([s, p], i) => {
    for (const k of ['y', 'dx', 'df'] as const) {
      const e = maxRelativeError(native[i][k], reference[i][k]);
      assert.ok(e < 1e-5, `stride ${s} ${p} ${k}: relative error ${e}`);
    }
  });
});

nativeTest('the small CNN trains on native TensorFlow: loss falls on a two-class toy problem', () => {
  const model = createSmallCnn({ seed: 'train-smoke', inputSize: 32, width: 8, embeddingSize: 8 });
  const optimizer = tf.train.adam(3e-3);
  // Class 0: bright top half; class 1: bright bottom half; plus noise. Fixed class centres are the
  // first two basis vectors of the embedding space; loss = softmax cross-entropy of scaled cosines.
  const batch = tf.tidy(() => {
    const rows = tf.range(0, 32).reshape([1, 32, 1, 1]);
    const top = tf.cast(tf.less(rows, 16), 'float32');
    const pattern = tf.concat([top, tf.sub(1, top)]).tile([4, 1, 32, 3]); // [8,32,32,3]: 4x(class0,class1)
    const x = tf.add(tf.mul(pattern, 200), tf.randomNormal([8, 32, 32, 3], -100, 20, 'float32', 1)) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 8);
    return { x, labels };
  });
  const lossFn = () =>
    tf.tidy(() => tf.losses.softmaxCrossEntropy(batch.labels, tf.mul(model.embed(batch.x), 8)) as tf.Scalar);
  const losses: number[] = [];
  for (let step = 0; step < 15; step++) {
    const cost = optimizer.minimize(lossFn, true, model.trainableVariables())!;
    losses.push(cost.dataSync()[0]);
    cost.dispose();
  }
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(
    losses[losses.length - 1] < 0.7 * losses[0],
    `loss did not fall: ${losses.map((l) => l.toFixed(3)).join(' ')}`,
  );
  tf.dispose([batch.x, batch.labels]);
  optimizer.dispose();
  model.dispose();
});
