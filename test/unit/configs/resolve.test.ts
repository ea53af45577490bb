import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidConfigError, parseOverrideArgs, resolveExperiment } from '../../../configs/resolve';
import { PAPER_LOSS_PARAMS } from '../../../configs/paper/hyperparameters';

test('paper preset follows docs/protocol.md', () => {
  const c = resolveExperiment({ preset: 'paper' });
  assert.deepEqual(c.datasets, ['cars196', 'cub200', 'sop']);
  assert.equal(c.losses.length * c.modes.length * c.datasets.length, 30);
  assert.deepEqual(c.seeds, [42]);
  assert.equal(c.optimizer.lr, 1e-6);
  assert.equal(c.optimizer.weightDecay, 1e-4);
  assert.equal(c.sampler.batchSize, 32);
  assert.equal(c.sampler.iterationsPerEpoch, 100);
  assert.equal(c.training.patience, 15);
  assert.equal(c.training.maxEpochs, 1000);
  assert.equal(c.transform.crop, 227);
  assert.deepEqual(c.transform.mean, [104, 117, 128]);
  assert.equal(c.evaluation.swappedRepetitions, 5);
  assert.equal(c.lossParams.cub200?.contrastive.posMargin, -0.19999999999999726);
  assert.equal(c.lossParams.sop?.arcface.scale, 220.36285192573413);
  assert.equal(PAPER_LOSS_PARAMS.cars196.normalized_softmax.lrLoss, 0.011046164985524668);
});

test('overrides by dotted path, CLI words parsed as JSON or strings', () => {
  const o = parseOverrideArgs([
    'training.maxEpochs=5',
    'losses=arcface,triplet',
    'experiment=my-run',
    'datasets=["synthetic"]',
  ]);
  assert.deepEqual(o, {
    'training.maxEpochs': 5,
    losses: ['arcface', 'triplet'],
    experiment: 'my-run',
    datasets: ['synthetic'],
  });
  const c = resolveExperiment({ preset: 'smoke', overrides: o });
  assert.equal(c.training.maxEpochs, 5);
  assert.deepEqual(c.losses, ['arcface', 'triplet']);
  assert.equal(c.experiment, 'my-run');
  const one = resolveExperiment({ preset: 'smoke', overrides: parseOverrideArgs(['losses=arcface']) });
  assert.deepEqual(one.losses, ['arcface']);
});

test('every bad field is named, all at once', () => {
  try {
    resolveExperiment({
      preset: 'smoke',
      overrides: { 'training.maxEpochs': -1, 'optimizer.lr': 'fast', 'model.colour': 3, losses: ['arcface', 'hinge'] },
    });
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof InvalidConfigError);
    const text = e.message;
    assert.match(text, /training\.maxEpochs/);
    assert.match(text, /optimizer\.lr/);
    assert.match(text, /model.*colour|colour/);
    assert.match(text, /losses\.1/);
    assert.ok(e.issues.length >= 4, e.message);
  }
  assert.throws(() => resolveExperiment({ preset: 'nope' }), /preset/);
  assert.throws(
    () => resolveExperiment({ preset: 'smoke', overrides: { 'training.maxEpochs.x': 1 } }),
    /training\.maxEpochs: is not a group/,
  );
  assert.throws(
    () => resolveExperiment({ preset: 'smoke', overrides: { 'nothing.here': 1 } }),
    /nothing: unknown setting/,
  );
  assert.throws(
    () => resolveExperiment({ preset: 'smoke', overrides: { datasets: ['cars196'] } }),
    /lossParams\.cars196/,
  );
  assert.throws(() => parseOverrideArgs(['novalue']), /expected key.path=value/);
});

test('sampler.batchSize must be a multiple of the loss m: named with the values and the loss', () => {
  // m = 4 for the pair losses, 1 for the classifier losses (configs/paper/hyperparameters.ts).
  const attempt = (batchSize: number, losses: string[]) =>
    resolveExperiment({ preset: 'smoke', overrides: { 'sampler.batchSize': batchSize, losses } });
  assert.equal(attempt(36, ['contrastive', 'arcface']).sampler.batchSize, 36);
  assert.equal(attempt(30, ['arcface', 'normalized_softmax']).sampler.batchSize, 30);
  assert.throws(
    () => attempt(30, ['arcface', 'triplet']),
    (e: unknown) =>
      e instanceof InvalidConfigError &&
      e.issues.length === 1 &&
      /^sampler\.batchSize: 30 is not a multiple of m = 4, the images per class that loss triplet \(losses\.1\)/.test(
        e.issues[0],
      ),
  );
});

/** The issues an invalid input is refused with (fails the test when it is accepted). */
function issuesOf(input: unknown): string[] {
  try {
    resolveExperiment(input);
  } catch (e) {
    assert.ok(e instanceof InvalidConfigError, String(e));
    return e.issues;
  }
  assert.fail(`accepted: ${JSON.stringify(input)}`);
}

test('a loss, dataset, mode or seed given twice is refused at config time, naming the repeat', () => {
  const cli = (...words: string[]) => ({ preset: 'smoke', overrides: parseOverrideArgs(words) });
  assert.deepEqual(issuesOf(cli('losses=triplet,triplet')), [
    'losses: each value at most once (given twice: "triplet")',
  ]);
  assert.deepEqual(issuesOf(cli('seeds=[3,3]', 'modes=base,base')), [
    'seeds: each value at most once (given twice: 3)',
    'modes: each value at most once (given twice: "base")',
  ]);
});

test('seeds=7 and seeds=1,2 on the command line are the lists [7] and [1, 2]', () => {
  const seeds = (word: string) => resolveExperiment({ preset: 'smoke', overrides: parseOverrideArgs([word]) }).seeds;
  assert.deepEqual(seeds('seeds=7'), [7]);
  assert.deepEqual(seeds('seeds=1,2'), [1, 2]);
  assert.deepEqual(seeds('seeds=[1,2]'), [1, 2]);
  // The same from a workflow input's JSON.
  assert.deepEqual(resolveExperiment({ preset: 'smoke', overrides: { seeds: 7 } }).seeds, [7]);
  // Words that are not numbers stay words and are refused by the schema, naming the field.
  assert.match(issuesOf({ preset: 'smoke', overrides: parseOverrideArgs(['seeds=1,x']) }).join('\n'), /^seeds\.1: /);
  // A list of words (losses) is not turned into numbers.
  assert.match(issuesOf({ preset: 'smoke', overrides: parseOverrideArgs(['losses=1,2']) }).join('\n'), /^losses\.0: /);
});

test('a mirror must be an http(s) address', () => {
  for (const url of ['ftp://mirror.example/CUB_200_2011.tgz', 'javascript:alert(1)', 'file:///data/CUB_200_2011.tgz']) {
    assert.deepEqual(issuesOf({ preset: 'smoke', overrides: { 'data.mirrors': { 'CUB_200_2011.tgz': [url] } } }), [
      'data.mirrors.CUB_200_2011.tgz.0: a mirror is an http:// or https:// address',
    ]);
  }
  for (const url of ['http://127.0.0.1:8000/CUB_200_2011.tgz', 'https://mirror.example/CUB_200_2011.tgz']) {
    const c = resolveExperiment({ preset: 'smoke', overrides: { 'data.mirrors': { 'CUB_200_2011.tgz': [url] } } });
    assert.deepEqual(c.data.mirrors, { 'CUB_200_2011.tgz': [url] });
  }
});

test('preset=paper cannot be set as an override on top of another preset', () => {
  const [issue] = issuesOf({ preset: 'smoke', overrides: parseOverrideArgs(['preset=paper']) });
  assert.match(issue, /^preset: cannot be overridden \(given "paper" on top of preset smoke\): .*--preset paper/);
  // Naming the preset it already is changes nothing.
  assert.equal(resolveExperiment({ preset: 'paper', overrides: { preset: 'paper' } }).preset, 'paper');
});
