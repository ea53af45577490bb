/**
 * evaluation.testBackgrounds: which models share swapped test backgrounds. 'paired' gives every
 * model of a seed the same draws, 'per-model' each its own, 'unseeded' an OS seed drawn when the
 * workflow resolves the configuration, recorded in it, and reproducing the draws when given again.
 * Checked on the composited pixels (transformBatch with the stream keys evaluate uses).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveExperiment } from '../../../configs/resolve';
import type { ExperimentConfig } from '../../../configs/schema';
import type { GridCell } from '../../../contracts/grid';
import { resolveConfig, withTestBackgroundSeed } from '../../../activities/config';
import { testSwapSeed } from '../../../activities/evaluate';
import type { RgbImage } from '../../../lib/image/types';
import { transformBatch } from '../../../lib/ml/input/keyedBatch';
import { Rng } from '../../../lib/util/rng';

const base: GridCell = { dataset: 'cub200', loss: 'arcface', mode: 'base', seed: 42 };
const aug: GridCell = { ...base, mode: 'bgaugment' };
const other: GridCell = { ...base, loss: 'triplet' };
const seed43: GridCell = { ...base, seed: 43 };

const CFG = { resizeShort: 20, crop: 16, scale: [0.16, 1], ratio: [0.75, 1.33], mean: [104, 117, 128] } as const;
const rng = Rng.fromSeed('test-draws');
const img = (w: number, h: number): RgbImage => ({
  width: w,
  height: h,
  data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rng.uniform() * 256)),
});
const pool = Array.from({ length: 6 }, () => img(30, 24));
const items = Array.from({ length: 5 }, (_, i) => ({
  id: `t${i}`,
  label: i,
  image: img(20, 20),
  mask: { width: 20, height: 20, data: Uint8Array.from({ length: 400 }, (_, p) => (p % 20 < 10 ? 255 : 0)) },
}));

/** Test split's swapped pixels of repetition r for a cell, as activities/evaluate.ts keys them. */
function swappedPixels(evaluation: ExperimentConfig['evaluation'], cell: GridCell, r: number): Float32Array {
  return transformBatch(
    {
      kind: 'eval',
      source: 'test',
      indices: items.map((_, i) => i),
      streams: { seed: testSwapSeed(evaluation, cell), split: 'test', epoch: r, firstPosition: 0 },
      background: 'test',
    },
    items,
    CFG as never,
    pool,
  ).images;
}
const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => v === b[i]);

test("'paired' (the paper preset): every model of a seed sees the same swapped test images; another seed others", () => {
  const e = resolveExperiment({ preset: 'paper' }).evaluation;
  assert.equal(e.testBackgrounds, 'paired');
  const ref = swappedPixels(e, base, 0);
  assert.ok(same(swappedPixels(e, aug, 0), ref) && same(swappedPixels(e, other, 0), ref));
  assert.ok(!same(swappedPixels(e, seed43, 0), ref));
  assert.ok(!same(swappedPixels(e, base, 1), ref), 'repetitions draw afresh');
});

test("'per-model': each model its own draws, the same on every evaluation of that model", () => {
  const e = resolveExperiment({ preset: 'paper', overrides: { 'evaluation.testBackgrounds': 'per-model' } }).evaluation;
  const ref = swappedPixels(e, base, 0);
  assert.ok(same(swappedPixels(e, base, 0), ref));
  assert.ok(!same(swappedPixels(e, aug, 0), ref) && !same(swappedPixels(e, other, 0), ref));
});

test("'unseeded': resolveConfig draws an OS seed into the configuration; given back, it reproduces the draws", async () => {
  const input = { preset: 'paper', overrides: { 'evaluation.testBackgrounds': 'unseeded' } };
  const first = (await resolveConfig(input)).evaluation;
  const second = (await resolveConfig(input)).evaluation;
  assert.match(first.testBackgroundSeed ?? '', /^[0-9a-f]{32}$/);
  assert.notEqual(first.testBackgroundSeed, second.testBackgroundSeed, 'two runs draw two seeds');
  assert.ok(!same(swappedPixels(first, base, 0), swappedPixels(second, base, 0)));
  assert.ok(!same(swappedPixels(first, base, 0), swappedPixels(first, aug, 0)), 'models draw independently');
  // A rerun given the recorded seed keeps it and draws what the first run drew.
  const rerun = (
    await resolveConfig({
      ...input,
      overrides: { ...input.overrides, 'evaluation.testBackgroundSeed': first.testBackgroundSeed },
    })
  ).evaluation;
  assert.equal(rerun.testBackgroundSeed, first.testBackgroundSeed);
  assert.ok(same(swappedPixels(rerun, aug, 2), swappedPixels(first, aug, 2)));
  // The other settings draw no seed, and refuse one.
  const paired = resolveExperiment({ preset: 'paper' });
  assert.equal(withTestBackgroundSeed(paired), paired);
  assert.throws(
    () =>
      resolveExperiment({
        preset: 'paper',
        overrides: { 'evaluation.testBackgroundSeed': 'abcdef0123' },
      }),
    /evaluation\.testBackgroundSeed: applies to testBackgrounds 'unseeded' only/,
  );
  assert.throws(() => testSwapSeed({ ...first, testBackgroundSeed: undefined }, base), /testBackgroundSeed is not set/);
});
