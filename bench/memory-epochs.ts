/**
 * Memory over epochs: trains the small CNN for short epochs on the chosen backend and prints, per
 * epoch, resident memory (RSS), tf.memory().numTensors and numBytes. numTensors must be identical
 * from epoch to epoch (any growth is a leaked tensor); RSS should level off after the first epoch.
 * Exits 1 if numTensors grows.
 *
 * Usage: node --import tsx bench/memory-epochs.ts [--epochs 10] [--steps 20] [--batch 32] [--backend auto|tensorflow|cpu]
 * Not part of npm test.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/ml/backend';
import { createSmallCnn } from '../lib/ml/models/smallCnn';

function intArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : String(fallback);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

async function main(): Promise<void> {
  const epochs = intArg('epochs', 10);
  const steps = intArg('steps', 20);
  const batch = intArg('batch', 32);
  const bi = process.argv.indexOf('--backend');
  const info = await initBackend(bi >= 0 ? (process.argv[bi + 1] as 'auto') : 'auto');
  const model = createSmallCnn({ seed: 'memory-bench' });
  const size = model.inputSize;
  const optimizer = tf.train.rmsprop(1e-4, 0.9, 0, 1e-8);
  // A fresh random batch every step (like a real input pipeline), labels from 8 classes.
  const centres = tf.tidy(() => {
    const c = tf.randomNormal([8, model.embeddingSize], 0, 1, 'float32', 5);
    return tf.div(c, tf.norm(c, 'euclidean', 1, true));
  });
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(`backend ${info.name} (${info.package}, ${info.threads} threads); ${epochs} epochs x ${steps} steps, batch ${batch}, ${size}x${size}`);
  console.log('epoch  seconds  loss     rss_MiB  heap_MiB  tf_numTensors  tf_MiB');
  const counts: number[] = [];
  let seed = 100;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = Date.now();
    let loss = 0;
    for (let s = 0; s < steps; s++) {
      const { x, labels } = tf.tidy(() => ({
        x: tf.randomNormal([batch, size, size, 3], 0, 60, 'float32', seed++) as tf.Tensor4D,
        labels: tf.randomUniform([batch], 0, 8, 'int32', seed++) as tf.Tensor1D,
      }));
      const cost = optimizer.minimize(
        () => tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(model.embed(x), tf.gather(centres, labels)), 1))) as tf.Scalar),
        true,
        model.trainableVariables(),
      )!;
      loss = cost.dataSync()[0];
      tf.dispose([cost, x, labels]);
    }
    const m = tf.memory();
    counts.push(m.numTensors);
    console.log(
      `${String(epoch).padStart(5)}  ${((Date.now() - t0) / 1000).toFixed(2).padStart(7)}  ${loss.toFixed(4).padStart(7)}  ` +
        `${mib(process.memoryUsage().rss).padStart(7)}  ${mib(process.memoryUsage().heapUsed).padStart(8)}  ` +
        `${String(m.numTensors).padStart(13)}  ${mib(m.numBytes).padStart(6)}`,
    );
  }
  console.log(`peak RSS ${mib(process.resourceUsage().maxRSS * 1024)} MiB`);
  centres.dispose();
  optimizer.dispose();
  model.dispose();
  if (counts.some((c) => c !== counts[0])) {
    console.error(`numTensors changed across epochs: ${counts.join(', ')}`);
    process.exit(1);
  }
  console.log(`numTensors flat at ${counts[0]} across ${epochs} epochs`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
