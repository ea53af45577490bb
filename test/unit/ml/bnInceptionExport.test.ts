/**
 * `bgbias export`'s state_dict (lib/ml/export/bnInceptionStateDict.ts): a BN-Inception built from a
 * PyTorch state_dict in Cadene's names and layouts (the hashed weights the golden tests use) exports
 * exactly that state_dict again, every name, shape and value; through a safetensors file and back
 * into a fresh model it embeds an image to the same numbers.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../lib/ml/backend';
import { decodeSafetensors, encodeSafetensors } from '../../../lib/io/safetensors';
import { bnInceptionStateDict } from '../../../lib/ml/export/bnInceptionStateDict';
import { bnInceptionParameterShapes, createBnInception } from '../../../lib/ml/models/bnInception';
import { createSmallCnn } from '../../../lib/ml/models/smallCnn';
import { hashedTorchParameter } from '../../helpers/hashedWeights';

before(async () => {
  await initBackend();
});

const EMBEDDING = 16;
const SIDE = 67; // the smallest side BN-Inception's pools accept (bnInceptionSupportsInput)

test('a model loaded from a Cadene state_dict exports that state_dict exactly', () => {
  const given = new Map(
    [...bnInceptionParameterShapes(EMBEDDING)].map(([name, shape]) => [
      name,
      { shape, data: hashedTorchParameter(name, shape) },
    ]),
  );
  const model = createBnInception({ weights: given, embeddingSize: EMBEDDING, inputSize: SIDE });
  try {
    const exported = bnInceptionStateDict(model);
    assert.deepEqual([...exported.keys()].sort(), [...given.keys()].sort());
    for (const [name, t] of given) {
      assert.deepEqual(exported.get(name)!.shape, t.shape, name);
      assert.ok(
        exported.get(name)!.data.every((v, i) => v === t.data[i]),
        `${name}: values differ`,
      );
    }
  } finally {
    model.dispose();
  }
});

test('through a safetensors file into a fresh model: the same embeddings', () => {
  const trained = createBnInception({ seed: 'export-test', embeddingSize: EMBEDDING, inputSize: SIDE });
  const file = encodeSafetensors(bnInceptionStateDict(trained), { format: 'pt' });
  const { tensors } = decodeSafetensors(file, 'export.safetensors');
  const loaded = createBnInception({ weights: tensors, embeddingSize: EMBEDDING, inputSize: SIDE });
  try {
    const x = tf.randomUniform([2, SIDE, SIDE, 3], -100, 100, 'float32', 7) as tf.Tensor4D;
    const [a, b] = [trained, loaded].map((m) => tf.tidy(() => m.embed(x)).dataSync());
    x.dispose();
    assert.ok(
      a.every((v, i) => v === b[i]),
      'embeddings differ',
    );
  } finally {
    trained.dispose();
    loaded.dispose();
  }
});

test('a model that is not a BN-Inception is refused', () => {
  const m = createSmallCnn({ seed: 's' });
  try {
    assert.throws(() => bnInceptionStateDict(m), /not a BN-Inception/);
  } finally {
    m.dispose();
  }
});
