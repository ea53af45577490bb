/**
 * Resumable, verified HTTP(S) download of one file.
 *
 * Why: the datasets are GBs behind slow, partly dead academic servers and user mirrors. A broken
 * connection must not restart a multi-GB transfer, so bytes go to `<dest>.part` and the next attempt
 * asks for the rest with `Range: bytes=N-`. The file only appears under `dest` after its checksum
 * matched, so `dest` existing means "complete and verified" to every later stage.
 * file:// URLs (and plain absolute paths) are accepted too, for local mirrors.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ChecksumMismatchError, ExpectedSums, verifyFile } from './checksum';

export interface DownloadProgress {
  url: string;
  /** Bytes of the file present so far (including bytes from earlier attempts). */
  received: number;
  /** Total size when the server told us, else undefined. */
  total?: number;
}

export interface DownloadOptions extends ExpectedSums {
  url: string;
  dest: string;
  /** Further attempts after the first one fails for a transient reason (default 5). */
  retries?: number;
  /** First backoff delay; doubles each attempt up to maxBackoffMs (defaults 1000 / 30000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Further attempts when the address cannot be reached at all (no such host, connection refused:
   * offline, a dead mirror; default 1). Few, so the next address, and the activity's failure that
   * the terminal shows, come within seconds; Temporal's retries of the activity try again later.
   */
  unreachableRetries?: number;
  /** Abort an attempt when no byte arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
  onProgress?: (p: DownloadProgress) => void;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  md5: string;
  sha256: string;
  /** True when `dest` already existed with the right checksum and nothing was transferred. */
  cached: boolean;
  /** Number of HTTP requests made. */
  requests: number;
  /** The byte offsets at which a Range request resumed the transfer (empty if never resumed). */
  resumedAt: number[];
}

/** A failure that another attempt cannot fix (404, 403, unsupported scheme...). */
export class PermanentDownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDownloadError';
  }
}

const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Socket errors that mean the server was never reached (as opposed to a transfer cut short). */
const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The request never reached a server. */
class UnreachableError extends Error {}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await fsp.stat(path)).size;
  } catch {
    return 0;
  }
}

async function exists(path: string): Promise<boolean> {
  return fsp.stat(path).then(
    () => true,
    () => false,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function localPathOf(url: string): string | undefined {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (url.startsWith('/')) return url;
  return undefined;
}

/** One HTTP request continuing `part` from its current size. Resolves when the body ended cleanly. */
async function transferOnce(url: string, part: string, opts: DownloadOptions, resumedAt: number[]): Promise<void> {
  const offset = await sizeOf(part);
  const controller = new AbortController();
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  let timer = setTimeout(() => controller.abort(), idleMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), idleMs);
  };
  try {
    const headers: Record<string, string> = {};
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: controller.signal, redirect: 'follow' });
    } catch (e) {
      const reason = (e as { cause?: Error & { code?: string } }).cause;
      const Kind = reason?.code && UNREACHABLE_CODES.has(reason.code) ? UnreachableError : Error;
      throw new Kind(`request to ${url} failed: ${(e as Error).message}${reason ? ` (${reason.message})` : ''}`, {
        cause: e,
      });
    }
    let start: number;
    let total: number | undefined;
    if (res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== offset) {
        await res.body?.cancel();
        await fsp.rm(part, { force: true });
        throw new Error(
          `${url}: server answered the range request from byte ${offset} with Content-Range ` +
            `'${res.headers.get('content-range')}'; restarting from 0`,
        );
      }
      start = offset;
      total = m[3] === '*' ? undefined : Number(m[3]);
      resumedAt.push(offset);
    } else if (res.status === 200) {
      start = 0; // the server ignored Range (or none was sent): rewrite from the beginning
      const len = res.headers.get('content-length');
      total = len === null ? undefined : Number(len);
    } else if (res.status === 416 && offset > 0) {
      await res.body?.cancel();
      const m = /^bytes \*\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
      if (m && Number(m[1]) === offset) return; // the .part is already complete
      await fsp.rm(part, { force: true });
      throw new Error(`${url}: range from byte ${offset} not satisfiable; restarting from 0`);
    } else {
      await res.body?.cancel();
      const msg = `download of ${url} failed: HTTP ${res.status} ${res.statusText}`;
      if (TRANSIENT_STATUS.has(res.status)) throw new Error(msg);
      throw new PermanentDownloadError(msg);
    }
    if (!res.body) throw new Error(`${url}: response without a body`);
    let received = start;
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      touch();
      received += chunk.length;
      opts.onProgress?.({ url, received, total });
    });
    try {
      await pipeline(body, createWriteStream(part, { flags: start === 0 ? 'w' : 'a' }));
    } catch (e) {
      throw new Error(`transfer of ${url} interrupted after ${received} bytes: ${(e as Error).message}`, { cause: e });
    }
    if (total !== undefined && received !== total) {
      throw new Error(`transfer of ${url} ended after ${received} of ${total} bytes`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Downloads `url` to `dest` (resuming `<dest>.part`), verifies md5/sha256 when given, retries
 * transient failures with exponential backoff. A checksum mismatch deletes the bad bytes; if they
 * came from a resumed transfer the file is fetched once more from scratch before giving up.
 */
export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  const { url, dest } = opts;
  const expected = { md5: opts.md5, sha256: opts.sha256, sha256Prefix: opts.sha256Prefix };
  await fsp.mkdir(dirname(dest), { recursive: true });
  if (await exists(dest)) {
    try {
      const sums = await verifyFile(dest, expected, dest);
      return {
        path: dest,
        bytes: await sizeOf(dest),
        md5: sums.md5,
        sha256: sums.sha256,
        cached: true,
        requests: 0,
        resumedAt: [],
      };
    } catch (e) {
      if (!(e instanceof ChecksumMismatchError)) throw e;
      await fsp.rm(dest, { force: true }); // a stale or damaged copy: fetch it again
    }
  }
  const part = `${dest}.part`;
  const local = localPathOf(url);
  if (local !== undefined) {
    try {
      await fsp.copyFile(local, part);
    } catch (e) {
      throw new PermanentDownloadError(`cannot copy ${url}: ${(e as Error).message}`);
    }
    return finish(url, part, dest, expected, 0, []);
  }
  if (!/^https?:\/\//.test(url)) {
    throw new PermanentDownloadError(`unsupported address '${url}': give an http(s):// or file:// mirror`);
  }
  const retries = opts.retries ?? 5;
  const unreachableRetries = opts.unreachableRetries ?? 1;
  let unreachable = 0;
  const backoff = opts.backoffMs ?? 1000;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const resumedAt: number[] = [];
  let requests = 0;
  let restartedAfterMismatch = false;
  let lastError: Error | undefined;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(Math.min(maxBackoff, backoff * 2 ** (attempt - 1)));
    try {
      requests++;
      await transferOnce(url, part, opts, resumedAt);
      return await finish(url, part, dest, expected, requests, resumedAt);
    } catch (e) {
      if (e instanceof PermanentDownloadError) throw e;
      if (e instanceof ChecksumMismatchError) {
        if (resumedAt.length === 0 || restartedAfterMismatch) throw e;
        restartedAfterMismatch = true; // the resumed bytes may not belong together: one clean try
        resumedAt.length = 0;
        attempt--;
        continue;
      }
      lastError = e as Error;
      if (e instanceof UnreachableError && ++unreachable > unreachableRetries) {
        throw new Error(`download of ${url} failed after ${attempt + 1} attempts; last error: ${lastError.message}`, {
          cause: e,
        });
      }
    }
  }
  throw new Error(`download of ${url} failed after ${retries + 1} attempts; last error: ${lastError?.message}`);
}

async function finish(
  url: string,
  part: string,
  dest: string,
  expected: ExpectedSums,
  requests: number,
  resumedAt: number[],
): Promise<DownloadResult> {
  let sums;
  try {
    sums = await verifyFile(part, expected, `${dest} (from ${url})`);
  } catch (e) {
    await fsp.rm(part, { force: true });
    throw e;
  }
  await fsp.rename(part, dest);
  return {
    path: dest,
    bytes: await sizeOf(dest),
    md5: sums.md5,
    sha256: sums.sha256,
    cached: false,
    requests,
    resumedAt,
  };
}

/**
 * Tries each address in turn (the configured mirrors, then the original); the first one that yields
 * a file with the right checksum wins. The error lists what every address answered.
 */
export async function downloadFromMirrors(
  urls: readonly string[],
  opts: Omit<DownloadOptions, 'url'>,
): Promise<DownloadResult> {
  if (urls.length === 0) throw new Error(`no download address configured for ${opts.dest}`);
  const errors: string[] = [];
  for (const url of urls) {
    try {
      return await downloadFile({ ...opts, url });
    } catch (e) {
      errors.push(`${url}: ${(e as Error).message}`);
    }
  }
  throw new Error(`could not download ${opts.dest} from any address:\n  ${errors.join('\n  ')}`);
}
