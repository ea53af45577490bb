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
 * This is the key scheme the pipeline's lib/util/sampleStreams.ts is to provide for training and
 * evaluation; until it is on main the audit derives its streams here, through this one function, so
 * switching is a one-line change (the numbers then change, the scheme does not).
 */
import { Rng } from '../util/rng';

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
  return Rng.fromSeed(`audit|${key.seed}|${key.repetition}|${key.split}|${key.position}|${key.purpose}`);
}
