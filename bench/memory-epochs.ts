/**
 * Memory over epochs: trains a model for short epochs on the chosen backend with the trainer's step
 * (tf.variableGrads of the contrastive loss, TorchRMSprop with the paper's settings) and prints, per
 * epoch, resident memory (RSS), tf.memory().numTensors and numBytes. numTensors must be identical
 * from epoch to epoch (any growth is a leaked tensor); RSS should level off after the first epoch.
 * Exits 1 if numTensors grows.
 *
 * Usage: node --import tsx bench/memory-epochs.ts [--model small|bninception] [--epochs 10] [--steps 20]
 *          [--batch 32] [--backend auto|tensorflow|cpu]
 * (bninception: 227x227; e.g. --steps 2 --batch 16 keeps it to a few minutes.) Not part of npm test.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/ml/backend';
import { createBnInception } from '../lib/ml/models/bnInception';
import { createSmallCnn } from '../lib/ml/models/smallCnn';
import { flag, positiveIntFlag } from './flags';
import { paperContrastiveStep } from './paperStep';

async function main(): Promise<void> {
  const epochs = positiveIntFlag('epochs', 10);
  const steps = positiveIntFlag('steps', 20);
  const batch = positiveIntFlag('batch', 32);
  const info = await initBackend(flag('backend', 'auto') as 'auto');
  const which = flag('model', 'small');
  if (which !== 'small' && which !== 'bninception')
    throw new Error(`--model must be small or bninception, got ${JSON.stringify(which)}`);
  if (batch % 4 !== 0) throw new Error(`--batch must be a multiple of 4 (4 images per class), got ${batch}`);
  const model =
    which === 'small' ? createSmallCnn({ seed: 'memory-bench' }) : createBnInception({ seed: 'memory-bench' });
  const size = model.inputSize;
  const vars = model.trainableVariables();
  const { loss: lossFn, optimizer } = paperContrastiveStep(vars);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(
    `backend ${info.name} (${info.package}, ${info.threads} threads); ${which}, ${epochs} epochs x ${steps} steps, ` +
      `batch ${batch}, ${size}x${size}`,
  );
  console.log('epoch  seconds  loss     rss_MiB  heap_MiB  tf_numTensors  tf_MiB');
  const counts: number[] = [];
  let seed = 100;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = Date.now();
    let loss = 0;
    for (let s = 0; s < steps; s++) {
      // A fresh random batch every step (like a real input pipeline), 4 images per class.
      const { x, labels } = tf.tidy(() => ({
        x: tf.randomNormal([batch, size, size, 3], 0, 60, 'float32', seed++) as tf.Tensor4D,
        labels: tf.tensor1d(
          Array.from({ length: batch }, (_, i) => Math.floor(i / 4)),
          'int32',
        ),
      }));
      // lib/ml/train/trainer.ts's step.
      const { value: cost, grads } = tf.variableGrads(() => lossFn.compute(model.embed(x), labels), vars);
      optimizer.step(grads);
      tf.dispose(grads);
      loss = cost.dataSync()[0];
      tf.dispose([cost, x, labels]);
    }
    const m = tf.memory();
    counts.push(m.numTensors);
    console.log(
      `${String(epoch).padStart(5)}  ${((Date.now() - t0) / 1000).toFixed(2).padStart(7)}  ` +
        `${loss.toFixed(4).padStart(7)}  ` +
        `${mib(process.memoryUsage().rss).padStart(7)}  ${mib(process.memoryUsage().heapUsed).padStart(8)}  ` +
        `${String(m.numTensors).padStart(13)}  ${mib(m.numBytes).padStart(6)}`,
    );
  }
  console.log(`peak RSS ${mib(process.resourceUsage().maxRSS * 1024)} MiB`);
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
