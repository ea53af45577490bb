import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochCheckpointer, type EpochSinks } from '../../../../activities/training/epochCheckpointer';
import type { TrainingState } from '../../../../lib/ml/train/trainingState';

const scores = (mapAtR: number) => ({ mapAtR, precisionAt1: 0.9, rPrecision: 0.8 });

function stateAt(epoch: number, monitored: 'clean' | 'swapped'): TrainingState {
  return {
    epoch,
    bestEpoch: epoch,
    bestMetric: 0.5,
    badEpochs: 0,
    stopped: false,
    monitored,
    history: [{ epoch, trainLoss: 0.123456, valClean: scores(0.75), valSwapped: scores(0.25), seconds: 1 }],
  };
}

/** Sinks and checkpoints that record every call in order. */
function recorder(opts: { cancelled?: boolean; saveFails?: boolean } = {}) {
  const events: unknown[] = [];
  const sinks: EpochSinks = {
    heartbeat: (d) => events.push(['heartbeat', d]),
    log: (line) => events.push(['log', line]),
    progress: async (s) => void events.push(['progress', s]),
    cancelled: () => opts.cancelled ?? false,
  };
  const checkpoints = {
    latestKey: 'e/train/d/checkpoint/latest.bgwt',
    async save(state: TrainingState, improved: boolean) {
      if (opts.saveFails) throw new Error('store down');
      events.push(['save', state.epoch, improved]);
    },
  };
  return { events, sinks, checkpoints };
}

test('each step heartbeats; each epoch saves, heartbeats its checkpoint, logs and signals, in that order', async () => {
  const r = recorder();
  const hooks = epochCheckpointer({ cellId: 'c/arcface/bgaugment/s1', maxEpochs: 9, ...r });
  hooks.onStep(1, 1, 0.5);
  hooks.onValidationBatch(3, 10);
  await hooks.endOfEpoch(stateAt(1, 'swapped'), true);
  assert.deepEqual(r.events, [
    ['heartbeat', { epoch: 1, step: 1, loss: 0.5, checkpointKey: undefined }],
    ['heartbeat', { epoch: 1, step: 1, loss: 0.5, checkpointKey: undefined, validating: '3/10' }],
    ['save', 1, true],
    // BGAugment monitors swapped val MAP@R: the heartbeat's metric is 0.25, not the clean 0.75.
    ['heartbeat', { epoch: 1, step: 0, loss: 0.5, metric: 0.25, checkpointKey: 'e/train/d/checkpoint/latest.bgwt' }],
    ['log', 'c/arcface/bgaugment/s1: epoch 1 loss 0.1235 val MAP@R clean 0.7500 swapped 0.2500 (best)'],
    [
      'progress',
      {
        cellId: 'c/arcface/bgaugment/s1',
        epoch: 1,
        maxEpochs: 9,
        trainLoss: 0.123456,
        valClean: 0.75,
        valSwapped: 0.25,
        resumedFromEpoch: undefined,
      },
    ],
  ]);
});

test('a base cell heartbeats clean val MAP@R; an epoch that did not improve logs no "(best)"', async () => {
  const r = recorder();
  await epochCheckpointer({ cellId: 'c', maxEpochs: 9, ...r }).endOfEpoch(stateAt(2, 'clean'), false);
  assert.deepEqual(r.events[0], ['save', 2, false]);
  assert.equal((r.events[1] as [string, { metric: number }])[1].metric, 0.75);
  assert.deepEqual(r.events[2], ['log', 'c: epoch 2 loss 0.1235 val MAP@R clean 0.7500 swapped 0.2500']);
});

test('a resumed attempt starts its heartbeats at the restored epoch and signals where it resumed from', async () => {
  const r = recorder();
  const hooks = epochCheckpointer({ cellId: 'c', maxEpochs: 9, resumed: stateAt(4, 'clean'), ...r });
  hooks.onValidationBatch(1, 2);
  await hooks.endOfEpoch(stateAt(5, 'clean'), false);
  assert.deepEqual(r.events[0], [
    'heartbeat',
    { epoch: 4, step: 0, checkpointKey: 'e/train/d/checkpoint/latest.bgwt', validating: '1/2' },
  ]);
  assert.equal((r.events.at(-1) as [string, { resumedFromEpoch: number }])[1].resumedFromEpoch, 4);
});

test('a cancelled activity stops at the next step; a failed checkpoint write reports nothing after it', async () => {
  const cancelled = recorder({ cancelled: true });
  const hooks = epochCheckpointer({ cellId: 'c/x', maxEpochs: 9, ...cancelled });
  assert.throws(() => hooks.onStep(1, 1, 0.5), /training of c\/x cancelled/);
  assert.deepEqual(cancelled.events, []);

  const failing = recorder({ saveFails: true });
  await assert.rejects(
    epochCheckpointer({ cellId: 'c', maxEpochs: 9, ...failing }).endOfEpoch(stateAt(1, 'clean'), true),
    /store down/,
  );
  assert.deepEqual(failing.events, [], 'no heartbeat may name a checkpoint that was not written');
});
