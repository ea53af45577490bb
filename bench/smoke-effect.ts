/**
 * Where the smoke preset's background effect comes from: trains base and BGAugment models of a few
 * losses over several training seeds, straight from lib/ (no services, no store), and tests each on
 * the test split with its backgrounds kept (clean), swapped for the Unsplash test pool (what the
 * report measures), swapped for the val pool (the one BGAugment trained with), swapped for other
 * classes' generated settings, and replaced by flat grey (the object alone).
 *
 * It answers questions a single smoke run cannot: is a drop background reliance (clean >> grey) or
 * clutter sensitivity (grey >> swapped)? How much does the base/BGAugment ratio move between seeds?
 * Numbers and what they showed: docs/smoke-effect.md.
 *
 * Usage: node --import tsx bench/smoke-effect.ts [--losses multi_similarity,triplet] [--seeds 1,2,3]
 *          [--jobs N] [key.path=value ...]   (overrides of the smoke preset, as for `bgbias run`)
 * Each (loss, seed) runs in its own process with one TensorFlow thread, N at a time (default: cores).
 * The Unsplash backgrounds come from a local copy of the paper's data when BGBIAS_PAPER_DATA_DIR
 * names one, else they are downloaded once (verified) into .bgbias/cache/ (activities/paperData.ts).
 * Not part of npm test.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseOverrideArgs, resolveExperiment } from '../configs/resolve';
import { type ExperimentConfig } from '../configs/schema';
import { LOSS_NAMES, type LossName } from '../contracts/grid';
import type { PreparedFormat } from '../lib/data/preparedImage';
import { paperDataSource } from '../activities/paperData';
import { cellTrainerOptions } from '../activities/training/cellTrainerOptions';
import { UNSPLASH_BACKGROUNDS_SHA256SUMS } from '../configs/paper/backgrounds';
import { fetchBackgrounds, type BackgroundPools } from '../lib/data/backgrounds';
import { readSha256SumsFile } from '../lib/data/download/checksumList';
import { decodeRgb } from '../lib/data/decodeShards';
import { resolveStateDir } from '../services/stateDir';
import type { RgbImage } from '../lib/image/types';
import { decodeShard } from '../lib/data/shardFormat';
import { DecodedCache, SplitData } from '../lib/data/splitData';
import {
  encodeSyntheticSplit,
  generateSyntheticDataset,
  renderBackground,
  type SyntheticItem,
} from '../lib/data/synthetic';
import { sampleInstance } from '../lib/data/synthetic/instance';
import { initBackend } from '../lib/ml/backend';
import { buildCell, transformOf } from '../activities/buildCell';
import { decodeWeights, encodeWeights } from '../lib/ml/checkpoint/weights';
import { inlineBatchSource } from '../lib/ml/input/batchSource';
import { contiguousLabels, trainModel } from '../lib/ml/train/trainer';
import { scoreSplit } from '../lib/ml/train/validate';
import { resizeShorterSide } from '../lib/ml/transforms/pipeline';
import { Rng } from '../lib/util/rng';
import { flag, positionalWords, positiveIntFlag } from './flags';

const CONDITIONS = ['clean', 'unsplashTest', 'unsplashVal', 'otherSettings', 'grey'] as const;
type Condition = (typeof CONDITIONS)[number];
type ModeResult = Record<Condition, number> & { epochs: number; bestEpoch: number; seconds: number };
interface JobResult {
  loss: LossName;
  seed: number;
  base: ModeResult;
  bgaugment: ModeResult;
}
/** Swapped-background repetitions per condition (the report uses 5; 3 is enough to compare). */
const REPETITIONS = 3;

async function splitOf(
  items: readonly SyntheticItem[],
  name: string,
  cache: DecodedCache,
  format: PreparedFormat,
): Promise<SplitData> {
  const shards = await encodeSyntheticSplit(items, format);
  return new SplitData(
    shards.flatMap((s, k) => decodeShard(s, `${name}#${k}`)),
    name,
    cache,
  );
}

/** The two background pools' files, verified against their sha256 sums (the product's own route). */
function backgroundFiles(config: ExperimentConfig): Promise<BackgroundPools> {
  return fetchBackgrounds({
    source: paperDataSource(config, 'backgrounds').source,
    files: readSha256SumsFile(UNSPLASH_BACKGROUNDS_SHA256SUMS),
    destDir: path.join(resolveStateDir(), 'cache', 'downloads', 'unsplash_backgrounds'),
  });
}

async function pool(files: readonly string[], shortSide: number): Promise<RgbImage[]> {
  return Promise.all(files.map(async (f) => resizeShorterSide(await decodeRgb(fs.readFileSync(f), f), shortSide, 3)));
}

/** One (loss, seed): both modes trained as the trainCell activity does, best checkpoint tested. */
async function runJob(config: ExperimentConfig, loss: LossName, seed: number): Promise<JobResult> {
  await initBackend('tensorflow', { threads: 1 });
  const data = generateSyntheticDataset(config.data.synthetic);
  const cache = new DecodedCache();
  const [train, val, test] = await Promise.all([
    splitOf(data.splits.train, 'train', cache, config.data.preparedFormat),
    splitOf(data.splits.val, 'val', cache, config.data.preparedFormat),
    splitOf(data.splits.test, 'test', cache, config.data.preparedFormat),
  ]);
  const files = await backgroundFiles(config);
  const size = config.data.synthetic.size;
  const valPool = await pool(files.val, config.transform.resizeShort);
  const testPool = await pool(files.test, config.transform.resizeShort);
  // Generated settings of the train classes: the same kind of background as the clean test images,
  // but carrying no information about the test classes.
  const rng = Rng.fromSeed('smoke-effect/settings');
  const otherSettings = Array.from({ length: 100 }, (_, k) =>
    renderBackground(
      sampleInstance(data.classes[k % data.numClasses.train], size, rng.derive('setting', k)).background,
      size,
    ),
  );
  const grey: RgbImage[] = [{ width: size, height: size, data: new Uint8Array(size * size * 3).fill(120) }];
  const pools: Record<Exclude<Condition, 'clean'>, RgbImage[]> = {
    unsplashTest: testPool,
    unsplashVal: valPool,
    otherSettings,
    grey,
  };
  const cfg = transformOf(config);
  const numClasses = contiguousLabels(train.labels).size;
  const input = inlineBatchSource({
    transform: cfg,
    sources: { train, val, test },
    backgrounds: { val: valPool, ...pools },
  });
  const result: Partial<JobResult> = { loss, seed };
  for (const mode of ['base', 'bgaugment'] as const) {
    const built = await buildCell(config, { dataset: 'synthetic', loss, mode, seed }, numClasses);
    try {
      let best: Buffer | undefined;
      const t0 = Date.now();
      const state = await trainModel({
        ...cellTrainerOptions(config, { dataset: 'synthetic', loss, mode, seed }, built),
        input,
        endOfEpoch: async (_state, improved) => {
          if (improved) best = await encodeWeights(built.model, built.loss);
        },
      });
      if (best) decodeWeights(best, `${loss}/${mode}/${seed} best`, built.model, built.loss);
      const r = { epochs: state.epoch, bestEpoch: state.bestEpoch, seconds: (Date.now() - t0) / 1000 } as ModeResult;
      r.clean = (await scoreSplit(built.model, input, 'test')).mapAtR;
      for (const name of Object.keys(pools) as Array<Exclude<Condition, 'clean'>>) {
        let sum = 0;
        for (let k = 0; k < REPETITIONS; k++)
          sum += (
            await scoreSplit(built.model, input, 'test', {
              background: name,
              draws: { seed: 'smoke-effect', split: 'test', epoch: k },
            })
          ).mapAtR;
        r[name] = sum / REPETITIONS;
      }
      result[mode] = r;
    } finally {
      built.dispose();
    }
  }
  return result as JobResult;
}

function runChild(loss: string, seed: number, overrides: string[]): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--job', `${loss}:${seed}`, ...overrides], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as JobResult);
      else reject(new Error(`job ${loss}:${seed} failed (exit ${code}):\n${err.split('\n').slice(-15).join('\n')}`));
    });
  });
}

const f3 = (v: number) => v.toFixed(3);

async function main(): Promise<void> {
  const overrides = positionalWords();
  const config = resolveExperiment({ preset: 'smoke', overrides: parseOverrideArgs(overrides) });
  const job = flag('job', '');
  if (job) {
    const [loss, seed] = job.split(':');
    console.log(`RESULT ${JSON.stringify(await runJob(config, loss as LossName, Number(seed)))}`);
    return;
  }
  const losses = flag('losses', 'multi_similarity,triplet').split(',');
  for (const l of losses)
    if (!(LOSS_NAMES as readonly string[]).includes(l))
      throw new Error(`--losses: unknown loss ${JSON.stringify(l)} (one of ${LOSS_NAMES.join(', ')})`);
  const seeds = flag('seeds', '1,2,3').split(',').map(Number);
  if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`--seeds must be integers, got ${flag('seeds', '')}`);
  const jobs = positiveIntFlag('jobs', os.availableParallelism());
  await backgroundFiles(config); // downloaded once here (when there is no local copy), not by every job
  const queue = losses.flatMap((loss) => seeds.map((seed) => ({ loss, seed })));
  console.log(
    `smoke effect: ${queue.length} (loss, seed) jobs, ${jobs} at a time; overrides ${overrides.join(' ') || '(none)'}`,
  );
  const results: JobResult[] = [];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const r = await runChild(next.loss, next.seed, overrides);
      results.push(r);
      for (const mode of ['base', 'bgaugment'] as const) {
        const m = r[mode];
        console.log(
          `  ${r.loss.padEnd(18)} seed ${r.seed} ${mode.padEnd(9)} ` +
            CONDITIONS.map((c) => `${c} ${f3(m[c])}`).join('  ') +
            `  (best epoch ${m.bestEpoch}/${m.epochs}, ${m.seconds.toFixed(0)} s)`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  const drop = (m: ModeResult) => m.clean - m.unsplashTest;
  const meanOf = (f: (r: JobResult) => number) => results.reduce((s, r) => s + f(r), 0) / results.length;
  const base = meanOf((r) => drop(r.base));
  const bgaug = meanOf((r) => drop(r.bgaugment));
  console.log(
    `mean drop (clean - Unsplash test) over ${results.length} jobs: base ${f3(base)}, BGAugment ${f3(bgaug)}, ratio ` +
      `${(base / bgaug).toFixed(2)}`,
  );
  for (const c of CONDITIONS)
    console.log(
      `  mean MAP@R ${c.padEnd(13)} base ${f3(meanOf((r) => r.base[c]))}  BGAugment ` +
        `${f3(meanOf((r) => r.bgaugment[c]))}`,
    );
}

main().then(
  () => tf.disposeVariables(),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
