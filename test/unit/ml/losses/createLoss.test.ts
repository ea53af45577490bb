import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { PAPER_HYPERPARAMETERS } from '../../../../configs/paper/hyperparameters';
import { LOSS_NAMES, PAPER_DATASETS } from '../../../../contracts/grid';
import { resolveExperiment } from '../../../../configs/resolve';
import { ArcFaceLoss, createLoss } from '../../../../lib/ml/losses';
import { Rng } from '../../../../lib/util/rng';
import { loadCases } from './goldenCase';

const ctx = () => ({ embeddingSize: 8, numClasses: 5, rng: Rng.fromSeed(3) });

test('createLoss builds every loss with its distance and parameter group', () => {
  const expected = {
    contrastive: ['euclidean', 0],
    triplet: ['euclidean', 0],
    multi_similarity: ['cosine', 0],
    arcface: ['cosine', 1],
    normalized_softmax: ['cosine', 1],
  } as const;
  for (const name of LOSS_NAMES) {
    const loss = createLoss(name, PAPER_HYPERPARAMETERS.cars196[name].params, ctx());
    assert.equal(loss.name, name);
    assert.equal(loss.distance, expected[name][0]);
    assert.equal(loss.trainableVariables().length, expected[name][1]);
    for (const v of loss.trainableVariables()) assert.deepEqual(v.shape, [8, 5]);
    loss.dispose();
  }
});

test('bad parameters, unknown names and bad inputs are clear errors', () => {
  assert.throws(() => createLoss('triplet', { margin: Number.NaN }, ctx()), /triplet: parameter margin: .*NaN/);
  assert.throws(
    () => createLoss('triplet', { margin: Number.POSITIVE_INFINITY }, ctx()),
    /triplet: parameter margin: .*Infinity/,
  );
  assert.throws(
    () => createLoss('multi_similarity', { alpha: 0, beta: 1, base: 0.5 }, ctx()),
    /multi_similarity: parameter alpha: Too small: expected number to be >0/,
  );
  assert.throws(
    () => createLoss('arcface', { marginDegrees: 200, scale: 10 }, ctx()),
    /arcface: parameter marginDegrees: Too big: expected number to be <90/,
  );
  assert.throws(
    () => createLoss('contrastive', { posMargin: 0, negMargin: 1, margin: 2 } as never, ctx()),
    /contrastive: Unrecognized key: "margin"/,
  );
  assert.throws(() => createLoss('nope' as never, {} as never, ctx()), /unknown loss "nope"/);
  assert.throws(
    () => createLoss('arcface', { marginDegrees: 20, scale: 10 }, { ...ctx(), numClasses: 0 }),
    /numClasses must be a positive integer/,
  );
  const arc = createLoss('arcface', { marginDegrees: 20, scale: 10 }, ctx());
  const con = createLoss('contrastive', { posMargin: 0, negMargin: 1 }, ctx());
  tf.tidy(() => {
    const e = tf.randomNormal([4, 8]) as tf.Tensor2D;
    assert.throws(
      () => arc.compute(e, tf.tensor1d([0, 1, 2, 5], 'int32')),
      /label 5 at batch index 3 is outside \[0, 5\)/,
    );
    assert.throws(
      () => arc.compute(tf.zeros([4, 7]), tf.tensor1d([0, 1, 2, 3], 'int32')),
      /embedding size 7, expected 8/,
    );
    assert.throws(() => con.compute(e, tf.tensor1d([0, 1, 2], 'int32')), /4 embeddings but 3 labels/);
    assert.throws(() => con.compute(e, tf.tensor1d([0, 1, 2, 3], 'float32')), /labels must be int32/);
  });
  assert.throws(() => (arc as ArcFaceLoss).setWeights([[1, 2]]), /weights must be \[8, 5\], got \[1,2\]/);
  arc.dispose();
  con.dispose();
});

test('class weights start normal(0,1) from the given Rng, reproducibly', () => {
  const big = { embeddingSize: 64, numClasses: 100, rng: Rng.fromSeed(11) };
  const a = createLoss('normalized_softmax', { temperature: 0.1 }, big);
  const b = createLoss('normalized_softmax', { temperature: 0.1 }, { ...big, rng: Rng.fromSeed(11) });
  const wa = Array.from(a.trainableVariables()[0].dataSync());
  assert.deepEqual(wa, Array.from(b.trainableVariables()[0].dataSync()));
  const mean = wa.reduce((s, v) => s + v, 0) / wa.length;
  const variance = wa.reduce((s, v) => s + (v - mean) ** 2, 0) / wa.length;
  assert.ok(Math.abs(mean) < 0.05 && Math.abs(variance - 1) < 0.06, `mean ${mean}, variance ${variance}`);
  a.dispose();
  b.dispose();
});

test('the hyperparameter table is the one the PML fixtures ran with; m and lr_loss per docs/protocol.md sections 7-8', () => {
  for (const name of LOSS_NAMES) {
    for (const c of loadCases(name)) {
      const ds = PAPER_DATASETS.find((d) => c.name.startsWith(d));
      assert.ok(ds, `fixture case ${c.name} names no dataset`);
      assert.deepEqual({ ...PAPER_HYPERPARAMETERS[ds][name].params }, c.params, `${ds} ${name}`);
    }
  }
  for (const ds of PAPER_DATASETS) {
    for (const name of LOSS_NAMES) {
      const s = PAPER_HYPERPARAMETERS[ds][name];
      const hasWeights = name === 'arcface' || name === 'normalized_softmax';
      assert.equal(s.m, hasWeights ? 1 : 4, `${ds} ${name} m`);
      assert.equal(s.lrLoss !== null && s.lrLoss > 0, hasWeights, `${ds} ${name} lrLoss`);
    }
  }
  assert.equal(PAPER_HYPERPARAMETERS.cub200.contrastive.params.posMargin, -0.19999999999999726);
  assert.equal(PAPER_HYPERPARAMETERS.cub200.multi_similarity.params.alpha, 0.010000000000000505);
});

test("the experiment schema and the loss constructors agree on every loss's limits (one schema)", () => {
  // ArcFace's margin: [0, 90) degrees in the configuration and in the loss alike.
  for (const [marginDegrees, ok] of [
    [0, true],
    [89.9, true],
    [90, false],
    [120, false],
    [-1, false],
  ] as const) {
    const overrides = { 'lossParams.synthetic.arcface.marginDegrees': marginDegrees };
    const configOk = (() => {
      try {
        resolveExperiment({ preset: 'smoke', overrides });
        return true;
      } catch (e) {
        assert.match((e as Error).message, /lossParams\.synthetic\.arcface\.marginDegrees/);
        return false;
      }
    })();
    const lossOk = (() => {
      try {
        createLoss('arcface', { marginDegrees, scale: 10 }, ctx()).dispose();
        return true;
      } catch (e) {
        assert.match((e as Error).message, /arcface: parameter marginDegrees/);
        return false;
      }
    })();
    assert.equal(configOk, ok, `configuration, margin ${marginDegrees}`);
    assert.equal(lossOk, ok, `loss, margin ${marginDegrees}`);
  }
  // The temperature: positive in both.
  assert.throws(
    () =>
      resolveExperiment({ preset: 'smoke', overrides: { 'lossParams.synthetic.normalized_softmax.temperature': 0 } }),
    /normalized_softmax\.temperature/,
  );
  assert.throws(() => createLoss('normalized_softmax', { temperature: 0 }, ctx()), /parameter temperature/);
});
