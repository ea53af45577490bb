import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../lib/ml/backend';
import { conv2dBiasRelu, torchConvPadding } from '../../../lib/ml/models/layers/convBiasRelu';
import { canonicalPadding, type ConvPadding } from '../../../lib/ml/models/layers/convOps';

/** Reference: tfjs's own ops and autodiff; explicit padding as tf.pad then a 'valid' conv. */
const plain = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, s: number, pad: ConvPadding) => {
  const conv =
    typeof pad === 'string'
      ? tf.conv2d(x, w, s, pad)
      : tf.conv2d(tf.pad(x, [[0, 0], pad[0], pad[1], [0, 0]]), w, s, 'valid');
  return tf.relu(tf.add(conv, b)) as tf.Tensor4D;
};

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function checkAgainstTfjs(): void {
  // width 7: explicit paddings stay explicit; width 8: 4x4 stride 2 [1, 1] is SAME (canonicalPadding)
  for (const k of [3, 4]) for (const width of [7, 8]) checkKernelSize(k, width);
}

function checkKernelSize(k: number, width: number): void {
  const x = tf.randomNormal([2, 8, width, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([k, k, 3, 4], 0, 0.5, 'float32', 2) as tf.Tensor4D;
  const b = tf.tensor1d([0.3, -0.2, 0.1, -1]);
  const before = tf.memory().numTensors;
  const cases: Array<[number, ConvPadding]> = [
    [1, 'same'],
    [2, 'same'],
    [2, 'valid'],
    [
      2,
      [
        [1, 1],
        [1, 1],
      ],
    ],
    [
      1,
      [
        [1, 1],
        [1, 1],
      ],
    ],
    [
      2,
      [
        [2, 0],
        [0, 1],
      ],
    ],
  ];
  for (const [s, pad] of cases) {
    // The output feeds two consumers (as a block input does), through a loss that weights positions.
    const loss = (f: typeof plain) => (xx: tf.Tensor4D, ww: tf.Tensor4D, bb: tf.Tensor1D) => {
      const y = f(xx, ww, bb, s, pad);
      return tf.add(tf.sum(tf.mul(y, tf.range(0, y.size).reshape(y.shape))), tf.sum(tf.square(y))) as tf.Scalar;
    };
    const [ours, ref] = [loss(conv2dBiasRelu), loss(plain)].map((f) =>
      tf.grads((a, c, d) => f(a as tf.Tensor4D, c as tf.Tensor4D, d as tf.Tensor1D))([x, w, b]),
    );
    ['x', 'filter', 'bias'].forEach((name, i) => {
      const scale = tf.tidy(() => tf.max(tf.abs(ref[i])).dataSync()[0]);
      assert.ok(
        maxAbsDiff(ours[i], ref[i]) <= 1e-5 * scale,
        `${name} gradient, ${k}x${k} stride ${s} ${JSON.stringify(pad)} width ${width}`,
      );
    });
    // Gradient with respect to the input only (attention maps): the weights' thunks never run.
    const [gx] = [tf.grad((a) => loss(conv2dBiasRelu)(a as tf.Tensor4D, w, b))(x)];
    assert.ok(
      maxAbsDiff(gx, ref[0]) <= 1e-5 * tf.tidy(() => tf.max(tf.abs(ref[0])).dataSync()[0]),
      `input-only gradient, ${k}x${k} stride ${s} ${JSON.stringify(pad)} width ${width}`,
    );
    const y = tf.tidy(() => conv2dBiasRelu(x, w, b, s, pad));
    const yr = tf.tidy(() => plain(x, w, b, s, pad));
    assert.ok(maxAbsDiff(y, yr) < 1e-5, `forward, ${k}x${k} stride ${s} ${JSON.stringify(pad)} width ${width}`);
    tf.dispose([...ours, ...ref, gx, y, yr]);
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  tf.dispose([x, w, b]);
}

test('conv2dBiasRelu value and gradients equal tfjs autodiff of relu(conv2d + bias) (cpu)', async () => {
  await tf.setBackend('cpu');
  checkAgainstTfjs();
});

test(
  'conv2dBiasRelu on the native tensorflow backend (native ReluGrad and EXPLICIT-padding conv kernels)',
  { skip: process.env.BGBIAS_ALLOW_NO_NATIVE === '1' },
  async () => {
    const info = await initBackend('auto');
    if (info.name !== 'tensorflow') return; // backend.test.ts fails loudly when native is missing
    await tf.setBackend('tensorflow');
    checkAgainstTfjs();
  },
);

test('canonicalPadding: an explicit padding that equals SAME or VALID on this input becomes that mode', () => {
  // 4x4 stride 2 on 64: SAME pads (32 - 1) * 2 + 4 - 64 = 2 pixels, 1 before and 1 after
  assert.equal(
    canonicalPadding(
      [64, 64],
      [4, 4],
      [2, 2],
      [
        [1, 1],
        [1, 1],
      ],
    ),
    'same',
  );
  // on 63 SAME pads 3 (1 before, 2 after): PyTorch's [1, 1] stays explicit
  assert.deepEqual(
    canonicalPadding(
      [64, 63],
      [4, 4],
      [2, 2],
      [
        [1, 1],
        [1, 1],
      ],
    ),
    [
      [1, 1],
      [1, 1],
    ],
  );
  // 3x3 stride 2 on 64: SAME pads 1 pixel, after only
  assert.deepEqual(
    canonicalPadding(
      [64, 64],
      [3, 3],
      [2, 2],
      [
        [1, 1],
        [1, 1],
      ],
    ),
    [
      [1, 1],
      [1, 1],
    ],
  );
  assert.equal(
    canonicalPadding(
      [64, 64],
      [3, 3],
      [2, 2],
      [
        [0, 1],
        [0, 1],
      ],
    ),
    'same',
  );
  // 3x3 stride 1: SAME is [1, 1] on any size
  assert.equal(
    canonicalPadding(
      [7, 5],
      [3, 3],
      [1, 1],
      [
        [1, 1],
        [1, 1],
      ],
    ),
    'same',
  );
  assert.equal(
    canonicalPadding(
      [7, 5],
      [3, 3],
      [1, 1],
      [
        [0, 0],
        [0, 0],
      ],
    ),
    'valid',
  );
  assert.equal(
    canonicalPadding(
      [7, 5],
      [1, 1],
      [1, 1],
      [
        [0, 0],
        [0, 0],
      ],
    ),
    'valid',
  );
  assert.equal(canonicalPadding([7, 5], [3, 3], [1, 1], 'same'), 'same');
});

test('torchConvPadding: PyTorch padding as a tfjs mode, or the explicit padding', () => {
  assert.equal(torchConvPadding(227, 7, 2, 3), 'same'); // 114 both ways, 3 before
  assert.equal(torchConvPadding(57, 3, 1, 1), 'same');
  assert.equal(torchConvPadding(57, 1, 1, 0), 'same');
  // torch: 14 outputs from pad 1 before; SAME would pad 0 before.
  assert.deepEqual(torchConvPadding(28, 3, 2, 1), [1, 0]);
  assert.equal(torchConvPadding(5, 3, 1, 0), 'valid');
  assert.throws(() => torchConvPadding(2, 5, 1, 0), /kernel 5 with padding 0 does not fit an input of 2/);
});

test('conv2dBiasRelu rejects a malformed padding, naming it', () => {
  const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
  const w = tf.zeros([2, 2, 1, 1]) as tf.Tensor4D;
  const b = tf.zeros([1]) as tf.Tensor1D;
  assert.throws(
    () =>
      conv2dBiasRelu(x, w, b, 1, [
        [1, -1],
        [0, 0],
      ]),
    /conv padding must be .* got \[\[1,-1\],\[0,0\]\]/,
  );
  assert.throws(() => conv2dBiasRelu(x, w, b, 1, 'SAME' as ConvPadding), /conv padding must be .* got "SAME"/);
  tf.dispose([x, w, b]);
});
