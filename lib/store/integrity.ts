// Verification of what is read back from the store: a stored object is used only when its bytes
// (or, for JSON records, its canonical content) still have the sha256 recorded when it was written.
import { createHash } from 'node:crypto';
import { canonicalJson, sha256Hex } from './digest';
import type { ArtifactStore } from './artifactStore';
import { IntegrityError } from '../../contracts/errors';

/** The field of a JSON record (manifest, cell record) that carries its own content hash. */
export const CONTENT_HASH_FIELD = 'contentSha256';

/** sha256 over the canonical JSON of a record without its content-hash field. */
export function contentHash(record: Record<string, unknown>): string {
  const { [CONTENT_HASH_FIELD]: _ignored, ...rest } = record;
  // Through JSON first: the hash covers exactly what the stored text holds (undefined fields vanish).
  return sha256Hex(canonicalJson(JSON.parse(JSON.stringify(rest))));
}

/** The record with its content hash set (what is written). */
export function withContentHash<T extends Record<string, unknown>>(record: T): T & { contentSha256: string } {
  return { ...record, [CONTENT_HASH_FIELD]: contentHash(record) } as T & { contentSha256: string };
}

/**
 * Checks a record read back against the content hash it carries. 'unhashed' when it carries none
 * (written by a bgbias before content hashes); IntegrityError when the hash disagrees.
 */
export function checkContentHash(record: Record<string, unknown>, object: string): 'verified' | 'unhashed' {
  const expected = record[CONTENT_HASH_FIELD];
  if (expected === undefined) return 'unhashed';
  const actual = contentHash(record);
  if (expected !== actual) throw new IntegrityError(object, 'content hash', String(expected), actual);
  return 'verified';
}

/** Checks bytes against a recorded sha256 (and size, when known). */
export function checkBytes(buf: Buffer, object: string, expected: { sha256: string; size?: number }): void {
  // The digest first: the error then always carries the expected and actual digest.
  const actual = createHash('sha256').update(buf).digest('hex');
  if (actual !== expected.sha256) throw new IntegrityError(object, 'file sha256', expected.sha256, actual);
  if (expected.size !== undefined && buf.length !== expected.size)
    throw new IntegrityError(object, 'size', `${expected.size} bytes`, `${buf.length} bytes`);
}

/** Streams a stored object through sha256 (nothing kept in memory or on disk) and checks it. */
export async function verifyStoredObject(
  store: Pick<ArtifactStore, 'getStream' | 'bucket'>,
  key: string,
  expected: { sha256: string; size: number },
): Promise<void> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of await store.getStream(key)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const object = `s3://${store.bucket}/${key}`;
  const actual = hash.digest('hex');
  if (actual !== expected.sha256) throw new IntegrityError(object, 'file sha256', expected.sha256, actual);
  if (size !== expected.size) throw new IntegrityError(object, 'size', `${expected.size} bytes`, `${size} bytes`);
}
