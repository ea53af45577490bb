/**
 * Seeded random streams of an audit, one per (seed, repetition, split, sample position, purpose).
 * Every draw of a protocol (background choice and crop, donor choice) comes from the stream of the
 * image it is made for, so an image gets the same draw whichever other images, batches or protocols
 * are run, and any single draw can be replayed from its key.
 *
 * Purposes: 'background' (the swapped protocols: pool index, RandomResizedCrop, flip; the query and
 * the gallery copy of image i in swapped, swapped-query and swapped-gallery share it, so those three
 * differ only in which side is swapped), 'donor-same' and 'donor-rand' (the mixed protocols).
 *
 * The streams are lib/util/sampleStreams.ts's, the one key scheme of every data-pipeline draw (the
 * repetition takes the epoch's place, as for the paper's swapped test repetitions).
 */
import type { Rng } from '../util/rng';
import { sampleStream } from '../util/sampleStreams';

export type AuditPurpose = 'background' | 'donor-same' | 'donor-rand';

export interface AuditStreamKey {
  seed: number | string;
  repetition: number;
  split: string;
  position: number;
  purpose: AuditPurpose;
}

export function auditStream(key: AuditStreamKey): Rng {
  if (!Number.isInteger(key.repetition) || key.repetition < 0) {
    throw new Error(`auditStream: repetition must be a non-negative integer, got ${key.repetition}`);
  }
  if (!Number.isInteger(key.position) || key.position < 0) {
    throw new Error(`auditStream: position must be a non-negative integer, got ${key.position}`);
  }
  const { seed, repetition, split, position, purpose } = key;
  return sampleStream({ seed, split, epoch: repetition, position, purpose });
}
