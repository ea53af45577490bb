/**
 * A checkpoint restores everything a resumed training needs: after encode -> restore into a cell
 * built from another seed, one more identical step gives bit-identical weights and optimizer buffers
 * on both sides (the mechanism behind test/integration/resume.test.ts, without servers).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveExperiment } from '../../../../configs/resolve';
import type { GridCell } from '../../../../contracts/grid';
import { initBackend } from '../../../../lib/ml/backend';
import { encodeCheckpoint, restoreCheckpoint } from '../../../../lib/ml/checkpoint/trainingCheckpoint';
import { decodeTensorFile, encodeTensorFile } from '../../../../lib/ml/checkpoint/tensorFile';
import { decodeWeights, encodeWeights } from '../../../../lib/ml/checkpoint/weights';
import { buildCell, type CellModel } from '../../../../activities/buildCell';
import type { TrainingState } from '../../../../lib/ml/train/trainingState';

before(async () => {
  await initBackend();
});

// ArcFace: a loss with its own trainable class weights (second RMSprop group, its own lr).
const config = resolveExperiment({
  preset: 'smoke',
  overrides: { 'model.width': 2, 'model.embeddingSize': 4, 'transform.crop': 16, 'transform.resizeShort': 20 },
});
const cell = (seed: number): GridCell => ({ dataset: 'synthetic', loss: 'arcface', mode: 'bgaugment', seed });
const NUM_CLASSES = 3;

function step(c: CellModel, seed: number): void {
  const vars = [...c.model.trainableVariables(), ...c.loss.trainableVariables()];
  const { value, grads } = tf.tidy(() => {
    const x = tf.randomNormal([6, 16, 16, 3], 0, 50, 'float32', seed) as tf.Tensor4D;
    const y = tf.tensor1d([0, 0, 1, 1, 2, 2], 'int32');
    return tf.variableGrads(() => c.loss.compute(c.model.embed(x), y), vars);
  });
  c.optimizer.step(grads);
  tf.dispose([value, grads]);
}

const bits = (c: CellModel) =>
  [...c.model.namedWeights(), ...c.loss.trainableVariables().map((v, i) => [`loss/${i}`, v] as const)].map(
    ([name, v]) => [name, Array.from(new Uint32Array((v.dataSync() as Float32Array).slice().buffer))] as const,
  );

const state: TrainingState = {
  epoch: 3,
  bestEpoch: 2,
  bestMetric: 0.625,
  badEpochs: 1,
  stopped: false,
  monitored: 'swapped',
  history: [],
};

test('a restored checkpoint continues bit-identically: weights, both RMSprop groups, training state', async () => {
  const a = await buildCell(config, cell(1), NUM_CLASSES);
  const b = await buildCell(config, cell(2), NUM_CLASSES);
  try {
    for (let s = 0; s < 3; s++) step(a, s);
    const buf = await encodeCheckpoint(a.model, a.loss, a.optimizer, state);
    assert.notDeepEqual(bits(b), bits(a), 'the second cell must start elsewhere for the test to mean anything');
    const restored = restoreCheckpoint(buf, 'ckpt', b.model, b.loss, b.optimizer);
    assert.deepEqual(restored, state);
    assert.deepEqual(bits(b), bits(a));
    // Optimizer buffers, step count and groups, by stable names (tfjs's own names differ per cell).
    const again = await encodeCheckpoint(b.model, b.loss, b.optimizer, restored);
    assert.ok(again.equals(buf), 'the restored cell does not encode to the same checkpoint');
    // The next step uses the restored square averages and momentum: any buffer left out diverges here.
    step(a, 9);
    step(b, 9);
    assert.deepEqual(bits(b), bits(a));
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('best weights round-trip by stable names; a missing optimizer buffer or tensor is named', async () => {
  const a = await buildCell(config, cell(1), NUM_CLASSES);
  const b = await buildCell(config, cell(2), NUM_CLASSES);
  try {
    step(a, 1);
    assert.deepEqual(decodeWeights(await encodeWeights(a.model, a.loss, { epoch: 4 }), 'best', b.model, b.loss), {
      epoch: 4,
    });
    assert.deepEqual(bits(b), bits(a));

    const { meta, tensors } = decodeTensorFile(await encodeCheckpoint(a.model, a.loss, a.optimizer, state));
    const withoutBuffer = new Map(tensors);
    withoutBuffer.delete('opt/loss/0/squareAvg');
    assert.throws(
      () => restoreCheckpoint(encodeTensorFile(withoutBuffer, meta), 'ckpt.bgwt', b.model, b.loss, b.optimizer),
      /ckpt\.bgwt: optimizer buffer of loss\/0 missing/,
    );
    const withoutWeight = new Map(tensors);
    withoutWeight.delete('model/embedder.bias');
    assert.throws(
      () => restoreCheckpoint(encodeTensorFile(withoutWeight, meta), 'ckpt.bgwt', b.model, b.loss, b.optimizer),
      /ckpt\.bgwt: no weights for model\/embedder\.bias/,
    );
  } finally {
    a.dispose();
    b.dispose();
  }
});
