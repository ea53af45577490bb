import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../lib/util/rng';
import {
  attributionNoiseStream,
  sampleStream,
  samplerStream,
  streamKeyText,
  testSwapStream,
  trainSampleStreams,
  valSwapStream,
  type StreamKey,
} from '../../../lib/util/sampleStreams';

const first = (r: Rng) => [r.nextUint32(), r.nextUint32(), r.nextUint32()];

test('a stream is sfc32 seeded from the documented key text, nothing else', () => {
  const key: StreamKey = { seed: 42, split: 'train', epoch: 3, position: 17, purpose: 'image' };
  // The scheme as documented in lib/util/sampleStreams.ts: changing it changes every run's draws.
  assert.equal(streamKeyText(key), '["bgbias-sample-streams/1","42","train",3,17,"image"]');
  assert.deepEqual(first(sampleStream(key)), first(Rng.fromSeed(streamKeyText(key))));
  // Same key, same numbers, however often and in whatever order streams are made.
  const other = sampleStream({ ...key, position: 18 });
  other.uniform();
  assert.deepEqual(first(sampleStream(key)), first(sampleStream({ ...key })));
});

test('every field of the key changes the stream', () => {
  const key: StreamKey = { seed: 42, split: 'train', epoch: 3, position: 17, purpose: 'image' };
  const base = first(sampleStream(key));
  const variants: StreamKey[] = [
    { ...key, seed: 43 },
    { ...key, seed: '42/cell' },
    { ...key, split: 'val' },
    { ...key, epoch: 4 },
    { ...key, position: 16 },
    { ...key, purpose: 'background' },
  ];
  const seen = new Set([base.join(',')]);
  for (const v of variants) {
    const f = first(sampleStream(v)).join(',');
    assert.ok(!seen.has(f), `${streamKeyText(v)} repeats another key's stream`);
    seen.add(f);
  }
  // Numeric and string seeds with the same text are one seed (configs may carry either).
  assert.deepEqual(first(sampleStream({ ...key, seed: '42' })), base);
});

test('the named helpers use the documented keys (test swaps: repetition in place of the epoch)', () => {
  const same = (a: Rng, k: StreamKey) => assert.deepEqual(first(a), first(sampleStream(k)), streamKeyText(k));
  same(samplerStream(7, 2), { seed: 7, split: 'train', epoch: 2, position: 0, purpose: 'sampler' });
  const t = trainSampleStreams(7, 2, 65);
  same(t.image, { seed: 7, split: 'train', epoch: 2, position: 65, purpose: 'image' });
  same(t.background, { seed: 7, split: 'train', epoch: 2, position: 65, purpose: 'background' });
  same(valSwapStream(7, 5, 3), { seed: 7, split: 'val', epoch: 5, position: 3, purpose: 'background' });
  same(testSwapStream(7, 4, 3), { seed: 7, split: 'test', epoch: 4, position: 3, purpose: 'background' });
  same(attributionNoiseStream(7, 3), { seed: 7, split: 'test', epoch: 0, position: 3, purpose: 'noise' });
});

test('bad keys are named', () => {
  const key: StreamKey = { seed: 1, split: 'train', epoch: 0, position: 0, purpose: 'image' };
  assert.throws(() => sampleStream({ ...key, epoch: -1 }), /epoch must be an integer >= 0, got -1/);
  assert.throws(() => sampleStream({ ...key, position: 1.5 }), /position must be an integer >= 0, got 1.5/);
  assert.throws(() => sampleStream({ ...key, split: '' }), /split must be a name/);
  assert.throws(() => sampleStream({ ...key, purpose: 'crop' as never }), /purpose must be one of .*got crop/);
  assert.throws(() => sampleStream({ ...key, seed: NaN }), /invalid seed/);
});
