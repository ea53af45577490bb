/**
 * A BN-Inception-shaped network for the throughput benchmark only: same layer list, channel counts
 * and kernel sizes as BN-Inception (Ioffe & Szegedy 2015; the Caffe model the paper uses), BatchNorm
 * in inference mode (per-channel affine with trainable gamma/beta, fixed running statistics), global
 * average pooling, Linear 1024 -> embeddingSize, L2 normalisation.
 *
 * Why a stand-in: lib/ml/models/bnInception.ts had not landed when this benchmark was written. The
 * real model pads like Caffe (ceil-mode pooling); here every conv and pool uses TF 'same' padding,
 * and bench/torch_train_throughput.py uses symmetric k//2 padding, which gives the same spatial sizes
 * in both frameworks (227 -> 114 -> 57 -> 29 -> 15 -> 8): about 1.2x the Caffe model's FLOPs at 227
 * (its last stage is 7x7), identical work in the two frameworks. Weights are random: speed only.
 */
import * as tf from '@tensorflow/tfjs';

/** Inception module: [1x1, 3x3 reduce, 3x3, double-3x3 reduce, double-3x3, pool projection (0 = none), pool kind, stride]. */
export type InceptionSpec = [number, number, number, number, number, number, 'avg' | 'max', 1 | 2];

/** BN-Inception modules 3a..5b (channel counts from the paper's Table / the Caffe prototxt). */
export const BN_INCEPTION_MODULES: Array<[string, InceptionSpec]> = [
  ['3a', [64, 64, 64, 64, 96, 32, 'avg', 1]],
  ['3b', [64, 64, 96, 64, 96, 64, 'avg', 1]],
  ['3c', [0, 128, 160, 64, 96, 0, 'max', 2]],
  ['4a', [224, 64, 96, 96, 128, 128, 'avg', 1]],
  ['4b', [192, 96, 128, 96, 128, 128, 'avg', 1]],
  ['4c', [160, 128, 160, 128, 160, 128, 'avg', 1]],
  ['4d', [96, 128, 192, 160, 192, 128, 'avg', 1]],
  ['4e', [0, 128, 192, 192, 256, 0, 'max', 2]],
  ['5a', [352, 192, 320, 160, 224, 128, 'avg', 1]],
  ['5b', [352, 192, 320, 192, 224, 128, 'max', 1]],
];

export interface StandIn {
  embed(x: tf.Tensor4D): tf.Tensor2D;
  variables: tf.Variable[];
  dispose(): void;
}

export function createBnInceptionStandIn(embeddingSize = 128, seed = 1): StandIn {
  const variables: tf.Variable[] = [];
  let s = seed;
  const v = (t: tf.Tensor, trainable = true) => {
    const x = tf.variable(t, trainable);
    t.dispose();
    variables.push(x);
    return x;
  };
  const convBn = (kh: number, kw: number, cin: number, cout: number) => ({
    w: v(tf.randomNormal([kh, kw, cin, cout], 0, Math.sqrt(2 / (kh * kw * cin)), 'float32', s++)),
    gamma: v(tf.ones([cout])),
    beta: v(tf.zeros([cout])),
    mean: v(tf.zeros([cout]), false),
    variance: v(tf.ones([cout]), false),
  });
  type ConvBn = ReturnType<typeof convBn>;
  const apply = (p: ConvBn, x: tf.Tensor4D, stride: number): tf.Tensor4D =>
    tf.relu(tf.batchNorm(tf.conv2d(x, p.w as tf.Tensor4D, stride, 'same'), p.mean, p.variance, p.beta, p.gamma, 1e-5)) as tf.Tensor4D;

  const conv1 = convBn(7, 7, 3, 64);
  const conv2r = convBn(1, 1, 64, 64);
  const conv2 = convBn(3, 3, 64, 192);
  let cin = 192;
  const modules = BN_INCEPTION_MODULES.map(([, [c1, c3r, c3, d3r, d3, proj, pool, stride]]) => {
    const m = {
      b1: c1 > 0 ? convBn(1, 1, cin, c1) : undefined,
      b3r: convBn(1, 1, cin, c3r),
      b3: convBn(3, 3, c3r, c3),
      d3r: convBn(1, 1, cin, d3r),
      d3a: convBn(3, 3, d3r, d3),
      d3b: convBn(3, 3, d3, d3),
      proj: proj > 0 ? convBn(1, 1, cin, proj) : undefined,
      pool,
      stride,
    };
    cin = (c1 > 0 ? c1 : 0) + c3 + d3 + (proj > 0 ? proj : cin);
    return m;
  });
  const fcW = v(tf.randomUniform([cin, embeddingSize], -1 / Math.sqrt(cin), 1 / Math.sqrt(cin), 'float32', s++));
  const fcB = v(tf.zeros([embeddingSize]));

  return {
    variables,
    embed: (images) =>
      tf.tidy(() => {
        let x = apply(conv1, images, 2);
        x = tf.maxPool(x, 3, 2, 'same');
        x = apply(conv2, apply(conv2r, x, 1), 1);
        x = tf.maxPool(x, 3, 2, 'same');
        for (const m of modules) {
          const branches: tf.Tensor4D[] = [];
          if (m.b1) branches.push(apply(m.b1, x, 1));
          branches.push(apply(m.b3, apply(m.b3r, x, 1), m.stride));
          branches.push(apply(m.d3b, apply(m.d3a, apply(m.d3r, x, 1), 1), m.stride));
          const pooled = m.pool === 'avg' ? tf.avgPool(x, 3, m.stride, 'same') : tf.maxPool(x, 3, m.stride, 'same');
          branches.push(m.proj ? apply(m.proj, pooled, 1) : pooled);
          x = tf.concat(branches, 3);
        }
        const e = tf.add(tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, fcW as tf.Tensor2D), fcB) as tf.Tensor2D;
        return tf.div(e, tf.maximum(tf.norm(e, 'euclidean', 1, true), 1e-12));
      }),
    dispose: () => variables.forEach((x) => x.dispose()),
  };
}
