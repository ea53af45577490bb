/**
 * Training on the input pool: the real trainer (small CNN, BGAugment, validation with swapped
 * backgrounds every epoch) fed by InputPool over shard files on disk ends with the same weights and
 * history for pool sizes 1, 2 and 4 as with the single-threaded reference source (inlineBatchSource,
 * transformBatch on the calling thread), and a training stopped after epoch 1 and resumed from its
 * checkpoint (on another pool size) ends with the same weights and history too.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveExperiment } from '../../../../configs/resolve';
import type { GridCell } from '../../../../contracts/grid';
import { buildCell, transformOf } from '../../../../activities/buildCell';
import { CellCheckpoints } from '../../../../activities/training/cellCheckpoints';
import { cellTrainerOptions } from '../../../../activities/training/cellTrainerOptions';
import type { RgbImage } from '../../../../lib/image/types';
import { decodeShard } from '../../../../lib/data/shardFormat';
import { DecodedCache, SplitData } from '../../../../lib/data/splitData';
import { encodeSyntheticSplit, generateSyntheticDataset } from '../../../../lib/data/synthetic';
import { initBackend } from '../../../../lib/ml/backend';
import { encodeWeights } from '../../../../lib/ml/checkpoint/weights';
import { inlineBatchSource, type BatchSource } from '../../../../lib/ml/input/batchSource';
import { InputPool } from '../../../../lib/ml/input/inputPool';
import { contiguousLabels, trainModel } from '../../../../lib/ml/train/trainer';
import type { TrainingState } from '../../../../lib/ml/train/trainingState';
import { Rng } from '../../../../lib/util/rng';
import { MapCheckpointStore } from '../../../helpers/mapCheckpointStore';

const EPOCHS = 2;
const config = resolveExperiment({
  preset: 'smoke',
  overrides: {
    losses: ['contrastive'],
    'data.synthetic.size': 40,
    'data.synthetic.classes': { train: 6, val: 3, test: 3 },
    'data.synthetic.imagesPerClass': 6,
    'transform.resizeShort': 40,
    'transform.crop': 32,
    'model.width': 4,
    'sampler.batchSize': 12,
    'sampler.iterationsPerEpoch': 3,
    'training.maxEpochs': EPOCHS,
    'training.patience': EPOCHS,
  },
});
const cell: GridCell = { dataset: 'synthetic', loss: 'contrastive', mode: 'bgaugment', seed: 11 };
const cfg = transformOf(config);

let dir: string;
let files: { train: string[]; val: string[] };
let inline: BatchSource;
let backgrounds: RgbImage[];

before(async () => {
  await initBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-pool-training-'));
  const data = generateSyntheticDataset(config.data.synthetic);
  const cache = new DecodedCache();
  const splits: Record<string, SplitData> = {};
  files = { train: [], val: [] };
  for (const name of ['train', 'val'] as const) {
    const shards = await encodeSyntheticSplit(data.splits[name], config.data.preparedFormat);
    shards.forEach((s, k) => {
      const file = path.join(dir, `${name}-${k}.bgsh`);
      fs.writeFileSync(file, s);
      files[name].push(file);
    });
    splits[name] = new SplitData(
      shards.flatMap((s, k) => decodeShard(s, `${name}#${k}`)),
      name,
      cache,
    );
  }
  const rng = Rng.fromSeed('pool-training/backgrounds');
  backgrounds = Array.from({ length: 5 }, (_, k) => ({
    width: 40 + 4 * k,
    height: 40,
    data: Uint8Array.from({ length: (40 + 4 * k) * 40 * 3 }, () => Math.floor(rng.uniform() * 256)),
  }));
  inline = inlineBatchSource({ transform: cfg, sources: splits, backgrounds: { val: backgrounds } });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  state: TrainingState;
  weights: Buffer;
}

/** Trains with `input` (resuming from `store`'s checkpoint when it has one) up to `maxEpochs`. */
async function train(input: BatchSource, store = new MapCheckpointStore(), maxEpochs = EPOCHS): Promise<Outcome> {
  const built = await buildCell(config, cell, contiguousLabels(input.source('train').labels).size);
  try {
    const checkpoints = new CellCheckpoints(store, 'latest', 'best', built);
    const resume = await checkpoints.restoreLatest();
    const state = await trainModel({
      ...cellTrainerOptions(config, cell, built),
      input,
      prefetch: 3,
      valBackgroundDraws: 'per-epoch',
      maxEpochs,
      patience: EPOCHS,
      validateBeforeTraining: true,
      resume,
      endOfEpoch: (s, improved) => checkpoints.save(s, improved),
    });
    return { state, weights: await encodeWeights(built.model, built.loss) };
  } finally {
    built.dispose();
  }
}

async function withPool<T>(size: number, f: (pool: InputPool) => Promise<T>): Promise<T> {
  const pool = await InputPool.start({ transform: cfg, sources: files, backgrounds: { val: backgrounds }, size });
  try {
    return await f(pool);
  } finally {
    await pool.close();
  }
}

// Wall-clock times differ between runs; everything else must not.
const history = (s: TrainingState) =>
  s.history.map(({ seconds: _s, trainSeconds: _t, valSeconds: _v, ...rest }) => rest);

test(
  'pool sizes 1, 2 and 4 train the same weights and history as the single-threaded source',
  { timeout: 600_000 },
  async () => {
    const reference = await train(inline);
    assert.equal(reference.state.epoch, EPOCHS);
    assert.equal(reference.state.history.length, EPOCHS + 1);
    for (const size of [1, 2, 4]) {
      const got = await withPool(size, (pool) => train(pool));
      assert.deepEqual(history(got.state), history(reference.state), `pool of ${size}: history differs`);
      assert.ok(got.weights.equals(reference.weights), `pool of ${size}: weights differ`);
    }
  },
);

test(
  'stopped after epoch 1 (pool of 1) and resumed from its checkpoint (pool of 4): the same training',
  { timeout: 600_000 },
  async () => {
    const straight = await train(inline);
    const store = new MapCheckpointStore();
    const first = await withPool(1, (pool) => train(pool, store, 1));
    assert.equal(first.state.epoch, 1);
    const resumed = await withPool(4, (pool) => train(pool, store));
    assert.equal(resumed.state.epoch, EPOCHS);
    assert.deepEqual(history(resumed.state), history(straight.state));
    assert.ok(resumed.weights.equals(straight.weights), 'weights differ after the resume');
  },
);
