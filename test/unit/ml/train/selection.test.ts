/**
 * Checkpoint selection and early stopping through the real trainer (docs/protocol.md section 7), and
 * the swapped evaluation's query and gallery (section 5):
 *   - a base model's best epoch is the first maximum of its CLEAN val MAP@R, a BGAugment model's of
 *     its SWAPPED val MAP@R, and bestMetric is that value;
 *   - with frozen weights (no update: every clean validation scores the same) a base run improves at
 *     epoch 1 only and stops after exactly `patience` more epochs;
 *   - the swapped score embeds every image of the split composited (the split is query and gallery at
 *     once), and the metric is computed from those embeddings alone.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { transformOf } from '../../../../activities/buildCell';
import type { RgbImage } from '../../../../lib/image/types';
import { initBackend } from '../../../../lib/ml/backend';
import { retrievalMetrics } from '../../../../lib/ml/metrics/retrieval';
import type { EmbeddingModel } from '../../../../lib/ml/models/types';
import { inlineBatchSource } from '../../../../lib/ml/input/batchSource';
import { scoreSplit } from '../../../../lib/ml/train/validate';
import type { TrainingState } from '../../../../lib/ml/train/trainingState';
import { TINY, tinyData, tinyTrain, VAL_SIZE, type TinyData } from './tinyTraining';

let data: TinyData;
before(async () => {
  await initBackend();
  data = await tinyData();
});

/** The first epoch (>= 1) with the highest value: strictly greater improves. */
function firstArgmax(state: TrainingState, metric: 'valClean' | 'valSwapped'): number {
  let best = -1;
  let value = -Infinity;
  for (const h of state.history)
    if (h.epoch >= 1 && h[metric].mapAtR > value) [best, value] = [h.epoch, h[metric].mapAtR];
  return best;
}

for (const [mode, metric] of [
  ['base', 'valClean'],
  ['bgaugment', 'valSwapped'],
] as const) {
  test(`a ${mode} model selects the first best epoch of its ${metric} MAP@R`, async () => {
    const { state } = await tinyTrain(
      data,
      { dataset: 'synthetic', loss: 'contrastive', mode, seed: 11 },
      {
        maxEpochs: 4,
        patience: 4,
      },
    );
    assert.equal(state.history.length, 5);
    const other = metric === 'valClean' ? 'valSwapped' : 'valClean';
    const best = firstArgmax(state, metric);
    assert.equal(state.bestEpoch, best);
    assert.equal(state.bestMetric, state.history[best][metric].mapAtR);
    // The two metrics differ, so selecting on the other one would show here.
    assert.notEqual(state.bestMetric, state.history[best][other].mapAtR);
  });
}

for (const patience of [1, 3]) {
  test(`frozen weights: a base run stops after exactly patience = ${patience} epochs without improvement`, async () => {
    const { state } = await tinyTrain(
      data,
      { dataset: 'synthetic', loss: 'contrastive', mode: 'base', seed: 11 },
      {
        applyGradients: () => undefined,
        maxEpochs: 10,
        patience,
      },
    );
    const clean = state.history.filter((h) => h.epoch >= 1).map((h) => h.valClean.mapAtR);
    assert.ok(
      clean.every((v) => v === clean[0]),
      'frozen weights: every clean validation scores the same',
    );
    assert.equal(state.bestEpoch, 1);
    assert.equal(state.epoch, 1 + patience, `stopped after epoch ${state.epoch}`);
    assert.ok(state.stopped);
    assert.equal(state.badEpochs, patience);
  });
}

test('the swapped score composites every image of the split (query and gallery alike) and scores those', async () => {
  const cfg = transformOf(TINY);
  const magenta: RgbImage = {
    width: 40,
    height: 40,
    data: new Uint8Array(40 * 40 * 3).map((_, i) => (i % 3 === 1 ? 0 : 255)),
  };
  const inputs: Float32Array[] = [];
  const embeddings: Float32Array[] = [];
  // A model that embeds each image as its mean BGR (unit length): simple, and sensitive to backgrounds.
  const spy: EmbeddingModel = {
    name: 'mean-colour',
    inputSize: cfg.crop,
    embeddingSize: 3,
    embed: (x: tf.Tensor4D) =>
      tf.tidy(() => {
        inputs.push(x.dataSync() as Float32Array);
        const e = tf.mean(x, [1, 2]).add(tf.tensor1d([104, 117, 128])) as tf.Tensor2D;
        const n = e.div(tf.norm(e, 2, 1, true)) as tf.Tensor2D;
        embeddings.push(n.dataSync() as Float32Array);
        return n;
      }),
    trainableVariables: () => [],
    namedWeights: () => new Map(),
    dispose: () => undefined,
  };
  const input = inlineBatchSource({ transform: cfg, sources: { val: data.val }, backgrounds: { magenta: [magenta] } });
  const clean = await scoreSplit(spy, input, 'val');
  const swapped = await scoreSplit(spy, input, 'val', {
    background: 'magenta',
    draws: { seed: 1, split: 'val', epoch: 0 },
  });
  assert.equal(inputs.length, 2, 'one batch per pass (the split is smaller than a batch)');
  const px = cfg.crop * cfg.crop;
  for (let i = 0; i < VAL_SIZE; i++) {
    let magentaPixels = 0;
    for (let p = 0; p < px; p++) {
      const o = (i * px + p) * 3;
      if (inputs[1][o] === 255 - 104 && inputs[1][o + 1] === -117 && inputs[1][o + 2] === 255 - 128) magentaPixels++;
    }
    assert.ok(magentaPixels > 0, `swapped image ${i} shows no swapped background`);
  }
  // Scores from the swapped embeddings as query and gallery, computed here independently.
  const labels = Int32Array.from(data.val.labels);
  const expected = retrievalMetrics(embeddings[1], 3, labels);
  assert.equal(swapped.mapAtR, expected.mapAtR);
  assert.equal(clean.mapAtR, retrievalMetrics(embeddings[0], 3, labels).mapAtR);
  assert.notEqual(swapped.mapAtR, clean.mapAtR);
});
