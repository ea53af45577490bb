import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identifyingSettings, settingsDifferences } from '../../../configs/experimentIdentity';
import { resolveExperiment } from '../../../configs/resolve';
import { configDigest } from '../../../activities/config';

const smoke = (overrides: Record<string, unknown> = {}) => resolveExperiment({ preset: 'smoke', overrides });

test("an old stored config.json lacking later fields has the digest of today's config with their defaults", () => {
  // Today's config with the settings that were added (model.downsampling) or renamed
  // (evaluation.swappedRepetitions) later at the values an old experiment had.
  const today = smoke({ 'model.downsampling': 'strided' });
  const old = JSON.parse(JSON.stringify(today));
  delete old.model.downsampling; // did not exist before 2026-12
  const { swappedRepetitions, ...evaluation } = old.evaluation;
  old.evaluation = { ...evaluation, corruptedRepetitions: swappedRepetitions }; // its old name
  assert.deepEqual(settingsDifferences(old, today), []);
  assert.equal(configDigest(old), configDigest(today));
  // The defaulted field is not part of the identity at its default, and is at any other value.
  assert.equal((identifyingSettings(today).model as Record<string, unknown>).downsampling, undefined);
  assert.equal((identifyingSettings(smoke()).model as Record<string, unknown>).downsampling, 'blurred');
  // So an old experiment is different from today's smoke preset, which blurs: named as such.
  assert.deepEqual(settingsDifferences(old, smoke()), ['model.downsampling: "strided" -> "blurred"']);
  assert.notEqual(configDigest(old), configDigest(smoke()));
});

test('settings that differ are listed as path: old -> new; operational settings never count', () => {
  const a = smoke();
  const b = smoke({ losses: ['arcface', 'triplet'], 'optimizer.lr': 0.001, 'attribution.maxImages': 10 });
  assert.deepEqual(settingsDifferences(a, b), [
    `attribution.maxImages: ${a.attribution.maxImages} -> 10`,
    `losses: ${JSON.stringify(a.losses)} -> ["arcface","triplet"]`,
    `optimizer.lr: ${a.optimizer.lr} -> 0.001`,
  ]);
  assert.notEqual(configDigest(a), configDigest(b));
  const busier = smoke({ 'concurrency.cells': 7, 'training.heartbeatSeconds': 60, 'data.localDataDir': '/data' });
  assert.deepEqual(settingsDifferences(a, busier), []);
  assert.equal(configDigest(a), configDigest(busier));
  // Key order does not matter (canonical JSON).
  const reordered = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(a))).reverse());
  assert.equal(configDigest(reordered), configDigest(a));
});
