import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidConfigError, resolveExperiment } from '../../../configs/resolve';
import { rehearsalConfig, trainClassesNeeded } from '../../../configs/rehearsal';
import { preparedStageInputs } from '../../../activities/realDataset/preparedInputs';
import { trainInputs } from '../../../activities/train';
import { stageDigest } from '../../../lib/store/digest';

test('--rehearse on the paper preset: its own experiment, small sizes, the same model, data and losses', () => {
  const full = resolveExperiment({ preset: 'paper' });
  const r = resolveExperiment({ preset: 'paper', rehearse: true });
  assert.equal(r.experiment, 'paper-rehearsal');
  assert.equal(r.sampler.iterationsPerEpoch, 2);
  assert.equal(r.sampler.batchSize, 32);
  assert.equal(r.training.maxEpochs, 2);
  assert.equal(r.evaluation.swappedRepetitions, 1);
  assert.equal(r.attribution.maxImages, 2);
  assert.equal(r.attribution.figureImages, 2);
  // Batch 32 with the classifier losses' m = 1 needs 32 classes; 8 for val and test.
  assert.deepEqual(r.rehearsal?.cut, {
    train: { classes: 32, imagesPerClass: 8 },
    val: { classes: 8, imagesPerClass: 8 },
    test: { classes: 8, imagesPerClass: 8 },
  });
  assert.deepEqual(r.rehearsal?.full, {
    experiment: 'paper',
    iterationsPerEpoch: 100,
    maxEpochs: 1000,
    patience: 15,
    swappedRepetitions: 5,
  });
  assert.equal(r.rehearsal?.typicalEpochs, 80); // min(1000, 5 x 16)
  for (const k of [
    'model',
    'transform',
    'optimizer',
    'data',
    'datasets',
    'losses',
    'modes',
    'seeds',
    'lossParams',
  ] as const)
    assert.deepEqual(r[k], full[k], k);
  assert.equal(r.training.patience, full.training.patience);
  assert.equal(r.attribution.copies, full.attribution.copies);
  assert.equal(full.rehearsal, undefined);
});

test('train classes: ceil(batch / m), the largest over the grid losses', () => {
  assert.equal(
    trainClassesNeeded({ losses: ['contrastive', 'triplet'], sampler: { batchSize: 32, iterationsPerEpoch: 1 } }),
    8,
  );
  assert.equal(
    trainClassesNeeded({ losses: ['contrastive', 'arcface'], sampler: { batchSize: 32, iterationsPerEpoch: 1 } }),
    32,
  );
  assert.equal(
    trainClassesNeeded({ losses: ['multi_similarity'], sampler: { batchSize: 30, iterationsPerEpoch: 1 } }),
    8,
  );
});

test('--rehearse: overrides describe the full run, rehearsal.* ones the rehearsal; never below the full sizes', () => {
  const r = resolveExperiment({
    preset: 'smoke',
    rehearse: true,
    overrides: { 'sampler.iterationsPerEpoch': 1, losses: 'contrastive', 'rehearsal.typicalEpochs': 12 },
  });
  assert.equal(r.experiment, 'smoke-rehearsal');
  assert.equal(r.sampler.iterationsPerEpoch, 1); // min(full 1, 2)
  assert.equal(r.rehearsal?.full.iterationsPerEpoch, 1);
  assert.equal(r.rehearsal?.cut.train.classes, 8); // contrastive only: 32 / 4
  assert.equal(r.rehearsal?.typicalEpochs, 12);
  assert.equal(r.rehearsal?.full.attributionImages, 48);
  assert.throws(
    () => resolveExperiment({ preset: 'smoke', overrides: { 'rehearsal.typicalEpochs': 3 } }),
    InvalidConfigError,
  );
  assert.throws(() => rehearsalConfig(r), /already a rehearsal/);
  assert.throws(
    () => resolveExperiment({ preset: 'smoke', rehearse: true, overrides: { experiment: 'x'.repeat(60) } }),
    /experiment/,
  );
});

test('the cut is an input of the dataset and train digests; a full run keeps its digest inputs', () => {
  const full = resolveExperiment({ preset: 'paper' });
  const r = resolveExperiment({ preset: 'paper', rehearse: true });
  const archives = [{ name: 'CUB_200_2011.tgz', md5: '97eceeb196236b17998738112f37df78' }];
  const expected = { images: 1, classes: 1, test: 1, testClasses: 1 };
  const fullInputs = preparedStageInputs(full, 'cub200', archives, expected);
  assert.equal('cut' in fullInputs, false);
  const rInputs = preparedStageInputs(r, 'cub200', archives, expected);
  assert.deepEqual(rInputs.cut, r.rehearsal?.cut);
  assert.notEqual(stageDigest('dataset-cub200', 1, rInputs, []), stageDigest('dataset-cub200', 1, fullInputs, []));
  const cell = { dataset: 'cub200', loss: 'contrastive', mode: 'base', seed: 42 } as const;
  assert.notDeepEqual(trainInputs(r, cell), trainInputs(full, cell));
});
