/**
 * The Unsplash background pools (PROTOCOL.md section 5): downloaded from the paper repository (or a
 * local copy of it), every file verified against its published sha256, then listed per pool sorted
 * by name (the reference used unsorted glob order, which is not reproducible).
 */
import {
  BACKGROUNDS_URL_PREFIX,
  GT_MASK_FILES,
  GT_MASKS_URL_PREFIX,
  UNSPLASH_BACKGROUNDS,
} from '../../configs/backgrounds';
import { downloadListedFiles, ListedFile } from './download/checksumList';

export type BackgroundPool = 'val' | 'test';

export interface BackgroundPools {
  /** Absolute paths, sorted by file name. */
  val: string[];
  test: string[];
}

export interface FetchListOptions {
  /** Address prefix (default: the paper repository at commit aea4857), file:// URL or local folder. */
  source?: string;
  destDir: string;
  files?: readonly ListedFile[];
  concurrency?: number;
  retries?: number;
  backoffMs?: number;
  onProgress?: (done: number, total: number, file: string) => void;
}

export async function fetchBackgrounds(opts: FetchListOptions): Promise<BackgroundPools> {
  const files = opts.files ?? UNSPLASH_BACKGROUNDS;
  const res = await downloadListedFiles(files, { ...opts, source: opts.source ?? BACKGROUNDS_URL_PREFIX });
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
  await downloadListedFiles(opts.files ?? GT_MASK_FILES, { ...opts, source: opts.source ?? GT_MASKS_URL_PREFIX });
  return opts.destDir;
}
