/**
 * The training activity's resume path without servers: the real trainer with the cell's checkpoints
 * and the epoch checkpointer, stopped in epoch 3 and resumed by a freshly built cell, ends with the
 * same best weights and history as an uninterrupted run (test/integration/resume.test.ts does the
 * same with a SIGKILLed worker on real services). The swapped val backgrounds are drawn per epoch.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GridCell } from '../../../../contracts/grid';
import { CellCheckpoints } from '../../../../activities/training/cellCheckpoints';
import { epochCheckpointer } from '../../../../activities/training/epochCheckpointer';
import { initBackend } from '../../../../lib/ml/backend';
import { buildCell } from '../../../../activities/buildCell';
import { cellTrainerOptions } from '../../../../activities/training/cellTrainerOptions';
import { contiguousLabels, trainModel } from '../../../../lib/ml/train/trainer';
import type { TrainingState } from '../../../../lib/ml/train/trainingState';
// The trainer's direct tests' tiny set-up, with more iterations and epochs (resume points).
import { tinyBatchSource, tinyConfig, tinyData, type TinyData } from '../../ml/train/tinyTraining';
import { MapCheckpointStore } from '../../../helpers/mapCheckpointStore';

before(async () => {
  await initBackend();
});

const MAX_EPOCHS = 4;
const config = tinyConfig({
  'sampler.iterationsPerEpoch': 3,
  'training.maxEpochs': MAX_EPOCHS,
  'training.patience': MAX_EPOCHS,
});
const cell: GridCell = { dataset: 'synthetic', loss: 'contrastive', mode: 'bgaugment', seed: 7 };

/** One attempt: a fresh cell, restored from the store when it holds a checkpoint; `stopInEpoch` kills it. */
async function attempt(
  store: MapCheckpointStore,
  data: TinyData,
  stopInEpoch?: number,
): Promise<TrainingState | undefined> {
  const built = await buildCell(config, cell, contiguousLabels(data.train.labels).size);
  try {
    const checkpoints = new CellCheckpoints(store, 'ckpt/latest.bgwt', 'ckpt/best.bgwt', built);
    const resumed = await checkpoints.restoreLatest();
    let epochNow = 0;
    const hooks = epochCheckpointer({
      cellId: 'c',
      maxEpochs: MAX_EPOCHS,
      checkpoints,
      resumed,
      sinks: {
        heartbeat: () => undefined,
        log: () => undefined,
        progress: async () => undefined,
        cancelled: () => epochNow === stopInEpoch,
      },
    });
    return await trainModel({
      ...cellTrainerOptions(config, cell, built),
      input: tinyBatchSource(config, data),
      maxEpochs: MAX_EPOCHS,
      patience: MAX_EPOCHS,
      validateBeforeTraining: true,
      resume: resumed,
      ...hooks,
      onStep: (epoch, step, loss) => {
        epochNow = epoch;
        hooks.onStep(epoch, step, loss);
      },
    });
  } catch (err) {
    if (stopInEpoch !== undefined && /cancelled/.test((err as Error).message)) return undefined;
    throw err;
  } finally {
    built.dispose();
  }
}

// Wall-clock times differ between runs; everything else must not.
const withoutSeconds = (s: TrainingState) =>
  s.history.map(({ seconds: _s, trainSeconds: _t, valSeconds: _v, ...rest }) => rest);

test(
  'stopped in epoch 3 and resumed from the checkpoint of epoch 2: the same best weights and history',
  { timeout: 120_000 },
  async () => {
    // The smoke preset's (and the paper's) per-epoch val draws: the resumed attempt must draw epoch
    // 3's and 4's swapped val backgrounds from their keys, not from a count of validations it ran.
    assert.equal(config.evaluation.valBackgrounds, 'per-epoch');
    const data = await tinyData();
    const straightStore = new MapCheckpointStore();
    const straight = (await attempt(straightStore, data))!;
    assert.equal(straight.epoch, MAX_EPOCHS);

    const store = new MapCheckpointStore();
    assert.equal(await attempt(store, data, 3), undefined);
    // Killed in epoch 3: the checkpoints of epochs 1 and 2 are in the store.
    assert.equal(store.puts.filter((k) => k === 'ckpt/latest.bgwt').length, 2);
    const resumed = (await attempt(store, data))!;
    assert.equal(resumed.epoch, MAX_EPOCHS);
    assert.deepEqual(withoutSeconds(resumed), withoutSeconds(straight));
    assert.deepEqual(
      { bestEpoch: resumed.bestEpoch, bestMetric: resumed.bestMetric, badEpochs: resumed.badEpochs },
      { bestEpoch: straight.bestEpoch, bestMetric: straight.bestMetric, badEpochs: straight.badEpochs },
    );
    const best = store.objects.get('ckpt/best.bgwt')!;
    assert.ok(best.equals(straightStore.objects.get('ckpt/best.bgwt')!), 'best weights differ after the resume');
  },
);

test('an improved epoch writes its best weights before the checkpoint; nothing stored: a fresh start', async () => {
  const built = await buildCell(config, cell, 8);
  try {
    const state: TrainingState = {
      epoch: 1,
      bestEpoch: 1,
      bestMetric: 0.5,
      badEpochs: 0,
      stopped: false,
      monitored: 'swapped',
      history: [],
    };
    const store = new MapCheckpointStore();
    const checkpoints = new CellCheckpoints(store, 'latest', 'best', built);
    assert.equal(await checkpoints.restoreLatest(), undefined);
    await checkpoints.save(state, true);
    await checkpoints.save({ ...state, epoch: 2, badEpochs: 1 }, false);
    // Each file's digest is announced before it (.next) and written after it.
    const epochPuts = (k: string) => [`${k}.sha256.next`, k, `${k}.sha256`];
    assert.deepEqual(store.puts, [...epochPuts('best'), ...epochPuts('latest'), ...epochPuts('latest')]);
    assert.deepEqual(await checkpoints.restoreLatest(), { ...state, epoch: 2, badEpochs: 1 });

    // Killed after epoch 3's checkpoint and before its digest (here: that write fails): the complete
    // new file is vouched for by the digest announced before it, so training resumes from epoch 3.
    const torn = new MapCheckpointStore('latest.sha256');
    for (const [k, v] of store.objects) torn.objects.set(k, Buffer.from(v));
    await assert.rejects(
      new CellCheckpoints(torn, 'latest', 'best', built).save({ ...state, epoch: 3, badEpochs: 2 }, false),
      /cannot write latest.sha256/,
    );
    assert.notDeepEqual(torn.objects.get('latest'), store.objects.get('latest'), 'the new checkpoint is stored');
    assert.deepEqual(await new CellCheckpoints(torn, 'latest', 'best', built).restoreLatest(), {
      ...state,
      epoch: 3,
      badEpochs: 2,
    });

    // Killed after an improved epoch 3's best weights and before its checkpoint: the checkpoint of
    // epoch 2 is resumed (epoch 3 is redone and rewrites the best weights); until then the best file
    // holds epoch 3, which bestWeights refuses for the checkpoint's best epoch 1.
    const ahead = new MapCheckpointStore('latest.sha256.next');
    for (const [k, v] of store.objects) ahead.objects.set(k, Buffer.from(v));
    await assert.rejects(
      new CellCheckpoints(ahead, 'latest', 'best', built).save({ ...state, epoch: 3, bestEpoch: 3 }, true),
      /cannot write latest.sha256.next/,
    );
    const aheadCheckpoints = new CellCheckpoints(ahead, 'latest', 'best', built);
    assert.deepEqual(await aheadCheckpoints.restoreLatest(), { ...state, epoch: 2, badEpochs: 1 });
    await assert.rejects(aheadCheckpoints.bestWeights(1), /best epoch mismatch \(expected epoch 1, actual epoch 3\)/);
    assert.ok((await aheadCheckpoints.bestWeights(3)).length > 0);

    // A write of the checkpoint that fails leaves the best weights of that epoch, never the reverse.
    const failing = new MapCheckpointStore('latest');
    await assert.rejects(
      new CellCheckpoints(failing, 'latest', 'best', built).save(state, true),
      /cannot write latest/,
    );
    assert.deepEqual([...failing.objects.keys()], ['best.sha256.next', 'best', 'best.sha256', 'latest.sha256.next']);
  } finally {
    built.dispose();
  }
});

test('a checkpoint that does not match its digest file, or has none, is ignored: a fresh start', async () => {
  const built = await buildCell(config, cell, 8);
  try {
    const state: TrainingState = {
      epoch: 2,
      bestEpoch: 2,
      bestMetric: 0.5,
      badEpochs: 0,
      stopped: false,
      monitored: 'swapped',
      history: [],
    };
    const lines: string[] = [];
    const fresh = async (store: MapCheckpointStore) => {
      const other = await buildCell(config, { ...cell, seed: 99 }, 8);
      try {
        const before = await other.model.trainableVariables()[0].data();
        const restored = await new CellCheckpoints(store, 'latest', 'best', other, (l) =>
          lines.push(l),
        ).restoreLatest();
        const after = await other.model.trainableVariables()[0].data();
        return { restored, untouched: Buffer.from(before.buffer).equals(Buffer.from(after.buffer)) };
      } finally {
        other.dispose();
      }
    };
    const saved = new MapCheckpointStore();
    await new CellCheckpoints(saved, 'latest', 'best', built).save(state, true);
    const good = await fresh(saved);
    assert.deepEqual(good.restored, state);
    assert.equal(good.untouched, false, 'a verified checkpoint is restored into the model');

    // The sign bits of the checkpoint's last 1000 float32 values flipped (little-endian: each last byte).
    const flipped = new MapCheckpointStore();
    for (const [k, v] of saved.objects) flipped.objects.set(k, Buffer.from(v));
    const latest = flipped.objects.get('latest')!;
    for (let i = latest.length - 1; i >= latest.length - 4000; i -= 4) latest[i] ^= 0x80;
    assert.deepEqual(await fresh(flipped), { restored: undefined, untouched: true });
    assert.match(
      lines.at(-1)!,
      /latest not used: corrupt object latest: file sha256 mismatch \(expected [0-9a-f]{64}, actual [0-9a-f]{64}\)/,
    );

    // A checkpoint without its digest (written before digests, or torn before the digest landed).
    const torn = new MapCheckpointStore();
    for (const [k, v] of saved.objects) if (k !== 'latest.sha256') torn.objects.set(k, v);
    assert.deepEqual(await fresh(torn), { restored: undefined, untouched: true });
    assert.match(lines.at(-1)!, /latest not used: its digest file latest\.sha256 is missing/);

    // The best weights damaged: the checkpoint would resume without them, so it is not used.
    const badBest = new MapCheckpointStore();
    for (const [k, v] of saved.objects) badBest.objects.set(k, Buffer.from(v));
    badBest.objects.get('best')![100] ^= 0xff;
    assert.deepEqual(await fresh(badBest), { restored: undefined, untouched: true });
    assert.match(lines.at(-1)!, /best weights do not verify/);
    await assert.rejects(
      new CellCheckpoints(badBest, 'latest', 'best', built).bestWeights(),
      /corrupt object best: file sha256 mismatch/,
    );
  } finally {
    built.dispose();
  }
});
