/**
 * The Unsplash background pools (docs/protocol.md section 5): downloaded from the paper repository (or a
 * local copy of it), every file verified against its published sha256, then listed per pool sorted
 * by name (the reference used unsorted glob order, which is not reproducible).
 */
import { downloadListedFiles, ListedFile } from './download/checksumList';

export type BackgroundPool = 'val' | 'test';

export interface BackgroundPools {
  /** Absolute paths, sorted by file name. */
  val: string[];
  test: string[];
}

export interface FetchListOptions {
  /** Address prefix (the paper repository's folder), file:// URL or local folder. */
  source: string;
  destDir: string;
  /** The files to fetch with their sums (configs/paper/backgrounds.ts lists the paper's). */
  files: readonly ListedFile[];
  concurrency?: number;
  retries?: number;
  backoffMs?: number;
  onProgress?: (done: number, total: number, file: string) => void;
}

export async function fetchBackgrounds(opts: FetchListOptions): Promise<BackgroundPools> {
  const res = await downloadListedFiles(opts.files, opts);
  const pools: BackgroundPools = { val: [], test: [] };
  for (const r of res) {
    const pool = r.listed.path.split('/')[0];
    if (pool !== 'val' && pool !== 'test') throw new Error(`background ${r.listed.path} is in neither val/ nor test/`);
    pools[pool].push(r.path);
  }
  pools.val.sort();
  pools.test.sort();
  return pools;
}

/** The 60 published image / hand-labelled mask / rembg mask triples, in the gt_masks layout. */
export async function fetchGtMasks(opts: FetchListOptions): Promise<string> {
  await downloadListedFiles(opts.files, opts);
  return opts.destDir;
}
