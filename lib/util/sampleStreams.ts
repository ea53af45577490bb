/**
 * The one key scheme for the data pipeline's random draws: every draw comes from a stream named by
 *
 *     (seed, split, epoch, position, purpose)
 *
 * and from nothing else: not from which thread or process ran it, not from what was drawn before
 * for another sample. So a batch is the same whatever the pool size, whichever worker prepared it,
 * and whether or not the process restarted in between (a resumed epoch draws what an uninterrupted
 * one draws).
 *
 * The fields, for each kind of draw:
 *   - seed: the run's seed (a number or a string). Models that should see the same draws (the paired
 *     comparison of base and BGAugment models of one seed) share it; independent draws per model use a
 *     seed that includes the model (e.g. `${seed}/${cellId}`).
 *   - split: 'train', 'val' or 'test' (the split whose samples are drawn for).
 *   - epoch: the training epoch (1, 2, ...; 0 for the validation before training). For the test split,
 *     the swapped-background repetition (0, 1, ...) takes its place. 0 where neither applies (attribution).
 *   - position: the sample's position. Training: its index in the epoch's sample sequence (batch b,
 *     slot i -> b * batchSize + i). Val and test: the sample's index in the split.
 *   - purpose: which draw:
 *       'sampler'    the epoch's batch composition (MPerClassSampler), position 0;
 *       'image'      the sample's own train transform: its RandomResizedCrop, then its flip;
 *       'background' BGAugment or a swapped background: the pick from the pool, then the
 *                    background's RandomResizedCrop, then its flip;
 *       'noise'      attribution's noisy copies of the sample (all copies, in order);
 *       'donor-same', 'donor-rand'  the audit's mixed protocols: the image whose background is
 *                    borrowed (same class / any class), lib/audit/auditStreams.ts.
 *
 * A stream is lib/util/rng.ts's sfc32 seeded from the canonical text of the key (a JSON array led by
 * the scheme's version), so two different keys never share text and adding a purpose later never
 * shifts another purpose's numbers. Changing this text changes every draw of every run: bump
 * SAMPLE_STREAM_SCHEME and say so in the docs when it must change.
 *
 * Cost: one string hash and 15 warm-up steps per stream (about a microsecond); a sample needs two.
 */
import { Rng } from './rng';

export const SAMPLE_STREAM_SCHEME = 'bgbias-sample-streams/1';

export type StreamPurpose = 'sampler' | 'image' | 'background' | 'noise' | 'donor-same' | 'donor-rand';
const PURPOSES: readonly StreamPurpose[] = ['sampler', 'image', 'background', 'noise', 'donor-same', 'donor-rand'];

export interface StreamKey {
  seed: number | string;
  /** 'train' | 'val' | 'test' for the paper's splits; other names for other image sets. */
  split: string;
  /** Epoch (train, val) or repetition (test swaps); 0 where neither applies. */
  epoch: number;
  /** Index in the epoch's sample sequence (train) or in the split (val, test). */
  position: number;
  purpose: StreamPurpose;
}

/** The canonical text a stream is seeded from (also what logs and errors can quote). */
export function streamKeyText(key: StreamKey): string {
  const { seed, split, epoch, position, purpose } = key;
  if (!(typeof seed === 'string' || Number.isFinite(seed))) throw new Error(`stream key: invalid seed ${seed}`);
  if (typeof split !== 'string' || split.length === 0)
    throw new Error(`stream key: split must be a name, got ${split}`);
  for (const [name, v] of [
    ['epoch', epoch],
    ['position', position],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 0)) throw new Error(`stream key: ${name} must be an integer >= 0, got ${v}`);
  }
  if (!PURPOSES.includes(purpose))
    throw new Error(`stream key: purpose must be one of ${PURPOSES.join(', ')}, got ${purpose}`);
  return JSON.stringify([SAMPLE_STREAM_SCHEME, String(seed), split, epoch, position, purpose]);
}

/** The stream of one key. */
export function sampleStream(key: StreamKey): Rng {
  return Rng.fromSeed(streamKeyText(key));
}

/** The epoch's batch composition. */
export function samplerStream(seed: number | string, epoch: number): Rng {
  return sampleStream({ seed, split: 'train', epoch, position: 0, purpose: 'sampler' });
}

/** A training sample's draws: its own crop and flip, and its BGAugment background. */
export function trainSampleStreams(
  seed: number | string,
  epoch: number,
  position: number,
): { image: Rng; background: Rng } {
  return {
    image: sampleStream({ seed, split: 'train', epoch, position, purpose: 'image' }),
    background: sampleStream({ seed, split: 'train', epoch, position, purpose: 'background' }),
  };
}

/** The swapped background of val sample `position` at `epoch` (the fixed-draw option uses one epoch). */
export function valSwapStream(seed: number | string, epoch: number, position: number): Rng {
  return sampleStream({ seed, split: 'val', epoch, position, purpose: 'background' });
}

/** The swapped background of test sample `position` in repetition `repetition`. */
export function testSwapStream(seed: number | string, repetition: number, position: number): Rng {
  return sampleStream({ seed, split: 'test', epoch: repetition, position, purpose: 'background' });
}

/** Attribution's noise for test sample `position`. */
export function attributionNoiseStream(seed: number | string, position: number): Rng {
  return sampleStream({ seed, split: 'test', epoch: 0, position, purpose: 'noise' });
}
