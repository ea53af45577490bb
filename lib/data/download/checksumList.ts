/**
 * Lists of files with sha256 sums in `sha256sum` format ("<sum>  ./dir/file"), and the download of
 * every listed file from an address prefix (the paper repository's raw files, or a local copy),
 * each verified against its sum.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { downloadFile, DownloadResult } from './downloadFile';

export interface ListedFile {
  /** Relative path as listed, without the leading './' (e.g. 'val/photo-1.jpeg'). */
  path: string;
  sha256: string;
}

export function parseSha256Sums(text: string, source: string): ListedFile[] {
  const out: ListedFile[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (!m) throw new Error(`${source} line ${i + 1}: expected '<sha256>  <path>', found '${line}'`);
    const path = m[2].replace(/^\.\//, '');
    if (path.split('/').includes('..') || path.startsWith('/'))
      throw new Error(`${source} line ${i + 1}: path '${m[2]}' leaves the folder`);
    out.push({ path, sha256: m[1] });
  });
  return out;
}

/** A sha256sum-format file's entries, sorted by path (so every reader lists them in one order). */
export function readSha256SumsFile(path: string): ListedFile[] {
  return parseSha256Sums(readFileSync(path, 'utf8'), path).sort((a, b) => (a.path < b.path ? -1 : 1));
}

export interface ListDownloadOptions {
  /** Address prefix the listed paths are appended to (http(s):// or file://), or a local folder. */
  source: string;
  destDir: string;
  concurrency?: number;
  retries?: number;
  backoffMs?: number;
  onProgress?: (done: number, total: number, file: string) => void;
}

function joinUrl(prefix: string, path: string): string {
  if (!/^[a-z]+:\/\//i.test(prefix)) return pathToFileURL(join(prefix, path)).href;
  return (prefix.endsWith('/') ? prefix : `${prefix}/`) + path.split('/').map(encodeURIComponent).join('/');
}

/** Downloads (or reuses verified copies of) every listed file; fails naming the first bad one. */
export async function downloadListedFiles(
  files: readonly ListedFile[],
  opts: ListDownloadOptions,
): Promise<(DownloadResult & { listed: ListedFile })[]> {
  const results: (DownloadResult & { listed: ListedFile })[] = new Array(files.length);
  let next = 0;
  let done = 0;
  const errors: string[] = [];
  async function worker() {
    while (next < files.length && errors.length === 0) {
      const i = next++;
      const f = files[i];
      try {
        const r = await downloadFile({
          url: joinUrl(opts.source, f.path),
          dest: join(opts.destDir, f.path),
          sha256: f.sha256,
          retries: opts.retries,
          backoffMs: opts.backoffMs,
        });
        results[i] = { ...r, listed: f };
        opts.onProgress?.(++done, files.length, f.path);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  if (errors.length > 0) throw new Error(errors[0]);
  return results;
}
