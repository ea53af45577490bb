/**
 * Large verified inputs (dataset archives, the u2net model) kept in the artifact store OUTSIDE any
 * experiment, keyed by checksum: `<area>/<md5>/<file name>`. The first worker that needs a file
 * downloads it from its addresses (mirrors first), verifies it and uploads it (streamed: archives
 * are GBs); every later worker, machine or experiment finds it in the store and never asks the
 * original addresses again. An S3 object appears only when its upload completed, so a key that
 * exists is a whole, verified file.
 *
 * A file without a published md5 is found through `<area>/by-name/<file name>.json` ({md5, sha256,
 * bytes, firstSource}), written after its first download: CUB's optional segmentations (no sum
 * published: trusted on first download) and the pretrained weights (only a sha256 PREFIX is
 * published, in the torch.hub-style name bn_inception-52deb4733.pth: the download is verified
 * against it, and a pointer whose sha256 does not start with the prefix asked for is ignored).
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactStore } from '../../lib/store/artifactStore';
import { ChecksumMismatchError, verifyFile } from '../../lib/data/download/checksum';
import { downloadFile, PermanentDownloadError, type DownloadProgress } from '../../lib/data/download/downloadFile';
import { MIRRORS_ENV } from '../../lib/data/datasets/sources';
import { badInput } from '../context';

export type StoreArea = 'archives' | 'models';

/** A verified file in the store (small: crosses the workflow boundary). */
export interface StoredFileRef {
  name: string;
  key: string;
  md5: string;
  bytes: number;
}

export interface FileSpec {
  name: string;
  md5?: string;
  sha256?: string;
  /** Leading hex digits of the sha256, where only those are published (the pretrained weights). */
  sha256Prefix?: string;
  /** Addresses to try in order when the store does not have the file. */
  urls: readonly string[];
  /** The downloader's own retries of one address before the next (defaults: 5, from 1 s doubling). */
  retries?: number;
  backoffMs?: number;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function storedFileKey(area: StoreArea, md5: string, name: string): string {
  if (!/^[0-9a-f]{32}$/.test(md5)) throw new Error(`stored file ${name}: invalid md5 '${md5}'`);
  if (!SAFE_NAME.test(name)) throw new Error(`stored file name '${name}': use letters, digits, '.', '_' or '-'`);
  return `${area}/${md5}/${name}`;
}

function pointerKey(area: StoreArea, name: string): string {
  return `${area}/by-name/${name}.json`;
}

/** Where a worker keeps its local copy of a stored file (same layout as the store). */
export function localCopyPath(cacheDir: string, key: string): string {
  return join(cacheDir, 'stored', ...key.split('/'));
}

/** Where the README explains mirrors; every download error points there. */
export const MIRRORS_HELP = 'README.md#when-a-download-fails';

/**
 * What a user can do when no address served `name`: give one that does. The file is accepted by
 * its checksum wherever it comes from, so any copy of the same bytes works.
 */
export function downloadHelp(name: string): string {
  return (
    `To fix: give an address that serves ${name}, either in the experiment config ` +
    `(data.mirrors={"${name}":["https://your.mirror/${name}"]}, e.g. as a command-line override) or as ` +
    `an address prefix on every worker (${MIRRORS_ENV}=https://your.mirror/folder/, also file:///folder/; ` +
    `the file name is appended). See ${MIRRORS_HELP}.`
  );
}

/**
 * Tries each address in turn. Non-retryable (a bad input, naming each address's answer) when every
 * address answered permanently (404, bad scheme, wrong checksum), or when some address served bytes
 * with the wrong checksum: a mirror with the wrong file needs a person, not another attempt.
 * Only plain network trouble (after the downloader's own retries) is left to Temporal's retries.
 */
async function downloadVerified(
  spec: FileSpec,
  dest: string,
  onProgress?: (p: DownloadProgress) => void,
): Promise<{ md5: string; sha256: string; bytes: number }> {
  if (spec.urls.length === 0)
    throw badInput(`no download address configured for ${spec.name}. ${downloadHelp(spec.name)}`);
  const errors: string[] = [];
  let allPermanent = true;
  let wrongBytes = false;
  for (const url of spec.urls) {
    try {
      const r = await downloadFile({
        url,
        dest,
        md5: spec.md5,
        sha256: spec.sha256,
        sha256Prefix: spec.sha256Prefix,
        retries: spec.retries,
        backoffMs: spec.backoffMs,
        onProgress,
      });
      return { md5: r.md5, sha256: r.sha256, bytes: r.bytes };
    } catch (e) {
      if (e instanceof ChecksumMismatchError) wrongBytes = true;
      else if (!(e instanceof PermanentDownloadError)) allPermanent = false;
      errors.push(`${url}: ${(e as Error).message}`);
    }
  }
  const what = wrongBytes
    ? 'An address served other bytes than the checksum says (a wrong or damaged copy: fix or drop that mirror). '
    : allPermanent
      ? ''
      : 'Network trouble is retried (a mirror may come back). ';
  const message =
    `could not download ${spec.name} from any of its ${spec.urls.length} address(es):\n  ${errors.join('\n  ')}\n` +
    `${what}${downloadHelp(spec.name)}`;
  if (allPermanent || wrongBytes) throw badInput(message);
  throw new Error(message);
}

/**
 * Makes sure the file is in the store; downloads and uploads it only when it is not.
 * `origin` says which happened.
 */
export async function ensureStored(
  store: ArtifactStore,
  area: StoreArea,
  spec: FileSpec,
  cacheDir: string,
  progress: (p: { phase: 'download' | 'upload'; file: string; bytes: number; total?: number }) => void = () =>
    undefined,
): Promise<StoredFileRef & { origin: 'store' | 'download' }> {
  let md5 = spec.md5;
  if (md5 === undefined) {
    const pointer = await store.stat(pointerKey(area, spec.name));
    if (pointer) {
      const p = await store.getJson<{ md5: string; sha256?: string }>(pointerKey(area, spec.name));
      // A copy stored for another prefix (the config now asks for other weights) does not count.
      if (spec.sha256Prefix === undefined || p.sha256?.startsWith(spec.sha256Prefix.toLowerCase())) md5 = p.md5;
    }
  }
  if (md5 !== undefined) {
    const key = storedFileKey(area, md5, spec.name);
    const stat = await store.stat(key);
    if (stat) return { name: spec.name, key, md5, bytes: stat.size, origin: 'store' };
  }
  const dest =
    md5 !== undefined
      ? localCopyPath(cacheDir, storedFileKey(area, md5, spec.name))
      : join(cacheDir, 'stored', area, 'unverified', spec.name);
  const got = await downloadVerified({ ...spec, md5 }, dest, (p) =>
    progress({ phase: 'download', file: spec.name, bytes: p.received, total: p.total }),
  );
  const key = storedFileKey(area, got.md5, spec.name);
  let local = dest;
  if (md5 === undefined) {
    local = localCopyPath(cacheDir, key);
    await fsp.mkdir(join(local, '..'), { recursive: true });
    await fsp.rename(dest, local);
  }
  progress({ phase: 'upload', file: spec.name, bytes: got.bytes, total: got.bytes });
  await store.putFile(key, local);
  if (spec.md5 === undefined)
    await store.putJson(pointerKey(area, spec.name), {
      md5: got.md5,
      sha256: got.sha256,
      bytes: got.bytes,
      firstSource: spec.urls,
    });
  return { name: spec.name, key, md5: got.md5, bytes: got.bytes, origin: 'download' };
}

/**
 * A local, verified copy of a stored file: reused when present and whole, else downloaded from
 * the store. A copy whose md5 differs from its key (a damaged disk or store) is an error naming both.
 */
export async function ensureLocalCopy(
  store: ArtifactStore,
  ref: StoredFileRef,
  cacheDir: string,
  verify = true,
): Promise<string> {
  const path = localCopyPath(cacheDir, ref.key);
  let fresh = false;
  if (
    !(await fsp.stat(path).then(
      (s) => s.isFile(),
      () => false,
    ))
  ) {
    await store.download(ref.key, path);
    fresh = true;
  }
  if (!verify) return path;
  try {
    await verifyFile(path, { md5: ref.md5 }, `${path} (from s3://${store.bucket}/${ref.key})`);
  } catch (e) {
    await fsp.rm(path, { force: true });
    if (fresh || !(e instanceof ChecksumMismatchError)) throw e;
    return ensureLocalCopy(store, ref, cacheDir, verify); // a damaged local copy: fetch it once more
  }
  return path;
}
