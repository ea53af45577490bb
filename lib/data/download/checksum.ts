/**
 * Checksums of downloaded files. docs/protocol.md identifies every archive by its md5 (the sums the
 * reference implementation checks); the backgrounds by sha256. A mismatch names the file, the
 * algorithm, the expected and the actual sum, so a user can tell a bad mirror from a truncated file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export type HashAlgorithm = 'md5' | 'sha256';

/** Expected sums of one file; at least one should be given for verification to mean anything. */
export interface ExpectedSums {
  md5?: string;
  sha256?: string;
  /** The first hex digits of the sha256, where only those are published (torch.hub-style file
   *  names such as bn_inception-52deb4733.pth). */
  sha256Prefix?: string;
}

export class ChecksumMismatchError extends Error {
  constructor(
    readonly file: string,
    readonly algorithm: HashAlgorithm,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`checksum mismatch for ${file}: ${algorithm} expected ${expected}, actual ${actual}`);
    this.name = 'ChecksumMismatchError';
  }
}

/** Streams the file once through every requested hash. */
export async function hashFile(
  path: string,
  algorithms: readonly HashAlgorithm[],
): Promise<Record<HashAlgorithm, string>> {
  const hashes = algorithms.map((a) => [a, createHash(a)] as const);
  await new Promise<void>((resolve, reject) => {
    const s = createReadStream(path);
    s.on('data', (chunk) => {
      for (const [, h] of hashes) h.update(chunk);
    });
    s.on('error', (e) => reject(new Error(`cannot read ${path} to compute its checksum: ${e.message}`)));
    s.on('end', () => resolve());
  });
  const out = {} as Record<HashAlgorithm, string>;
  for (const [a, h] of hashes) out[a] = h.digest('hex');
  return out;
}

export function hashBuffer(buf: Uint8Array, algorithm: HashAlgorithm): string {
  return createHash(algorithm).update(buf).digest('hex');
}

function normaliseSum(algorithm: HashAlgorithm, sum: string): string {
  const s = sum.trim().toLowerCase();
  const len = algorithm === 'md5' ? 32 : 64;
  if (!new RegExp(`^[0-9a-f]{${len}}$`).test(s))
    throw new Error(`invalid ${algorithm} sum '${sum}' (expected ${len} hex digits)`);
  return s;
}

/** The algorithms for which a sum is given, validated. */
export function expectedAlgorithms(expected: ExpectedSums): HashAlgorithm[] {
  const algs: HashAlgorithm[] = [];
  if (expected.md5 !== undefined) algs.push('md5');
  if (expected.sha256 !== undefined) algs.push('sha256');
  return algs;
}

/**
 * Verifies `path` against every given sum; throws ChecksumMismatchError on the first mismatch.
 * Returns the computed sums (md5 and sha256 are always both computed: the store keys archives by them).
 */
export async function verifyFile(
  path: string,
  expected: ExpectedSums,
  label = path,
): Promise<Record<HashAlgorithm, string>> {
  const actual = await hashFile(path, ['md5', 'sha256']);
  for (const alg of expectedAlgorithms(expected)) {
    const want = normaliseSum(alg, expected[alg]!);
    if (actual[alg] !== want) throw new ChecksumMismatchError(label, alg, want, actual[alg]);
  }
  if (expected.sha256Prefix !== undefined) {
    const prefix = expected.sha256Prefix.trim().toLowerCase();
    if (!/^[0-9a-f]{6,64}$/.test(prefix))
      throw new Error(`invalid sha256 prefix '${expected.sha256Prefix}' (expected 6-64 hex digits)`);
    if (!actual.sha256.startsWith(prefix))
      throw new ChecksumMismatchError(label, 'sha256', `${prefix}... (a prefix)`, actual.sha256);
  }
  return actual;
}
