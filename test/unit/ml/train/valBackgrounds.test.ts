/**
 * evaluation.valBackgrounds through the real trainer: in the paper preset's setting ('per-epoch') the
 * swapped val images change from one validation to the next, and each validation's are exactly the
 * composites of sampleStreams' key (seed, 'val', epoch, position) (so a resumed attempt validates on
 * what an uninterrupted one does); 'fixed' shows the same images every epoch. Clean val images never
 * change (a check on the spy: it sees the validation batches).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveExperiment } from '../../../../configs/resolve';
import { transformOf } from '../../../../activities/buildCell';
import { initBackend } from '../../../../lib/ml/backend';
import { evalTransformInto } from '../../../../lib/ml/transforms/pipeline';
import { valSwapStream } from '../../../../lib/util/sampleStreams';
import { TINY, tinyData, tinyTrain, validations, VAL_SIZE, type TinyData } from './tinyTraining';

let data: TinyData;
before(async () => {
  await initBackend();
  data = await tinyData();
});

/** The swapped val batch of `epoch`, composed here from the key scheme and the transform alone. */
async function expectedSwapped(seed: number, epoch: number): Promise<Float32Array> {
  const cfg = transformOf(TINY);
  const px = cfg.crop * cfg.crop * 3;
  const image = new Float32Array(VAL_SIZE * px);
  for (let i = 0; i < VAL_SIZE; i++) {
    const item = await data.val.get(i);
    evalTransformInto(
      item.image,
      item.mask,
      cfg,
      { image, imageOffset: i * px },
      {
        pool: data.backgrounds,
        rng: valSwapStream(seed, epoch, i),
      },
    );
  }
  return image;
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

test("the paper preset's swapped val backgrounds are drawn afresh at every epoch, from the (seed, 'val', epoch) keys", async () => {
  const paper = resolveExperiment({ preset: 'paper' });
  assert.equal(paper.evaluation.valBackgrounds, 'per-epoch');
  const cell = { dataset: 'synthetic' as const, loss: 'contrastive' as const, mode: 'bgaugment' as const, seed: 7 };
  const { calls } = await tinyTrain(data, cell, { valBackgroundDraws: paper.evaluation.valBackgrounds });
  const v = validations(calls);
  assert.equal(v.length, 4, 'validations before training and after epochs 1-3');
  for (let e = 0; e < v.length; e++) {
    assert.ok(same(v[e].clean, v[0].clean), `clean val images changed at epoch ${e}`);
    assert.ok(
      same(v[e].swapped, await expectedSwapped(7, e)),
      `epoch ${e}: swapped val images are not key (7, val, ${e})`,
    );
    if (e > 0) assert.ok(!same(v[e].swapped, v[e - 1].swapped), `epoch ${e} reused epoch ${e - 1}'s backgrounds`);
  }
});

test("'fixed' validates every epoch on the same swapped backgrounds (epoch 0's key)", async () => {
  const cell = { dataset: 'synthetic' as const, loss: 'contrastive' as const, mode: 'base' as const, seed: 7 };
  const { calls } = await tinyTrain(data, cell, { valBackgroundDraws: 'fixed', maxEpochs: 2 });
  const v = validations(calls);
  assert.equal(v.length, 3);
  const epoch0 = await expectedSwapped(7, 0);
  for (const [e, x] of v.entries()) assert.ok(same(x.swapped, epoch0), `epoch ${e}: not the fixed draw`);
});
