/**
 * download -> verify -> extract -> index -> split for one of the paper's datasets, on local folders.
 * The caller (the activity layer) moves the verified archives into the artifact store, keyed by
 * their md5 (returned here), and can hand already-stored archives back in `downloadDir`: a file
 * that is already there with the right checksum is never downloaded again.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { PaperDataset } from '../../../contracts/grid';
import { downloadFromMirrors, DownloadProgress } from '../download/downloadFile';
import { extractArchive } from '../download/extract';
import { indexCars196 } from './cars196';
import { indexCub200 } from './cub200';
import { indexSop } from './sop';
import { type DatasetSources, downloadUrlsFor } from './sources';
import { checkCounts } from './splitChecks';
import { DatasetIndex } from './types';

export interface AcquireOptions {
  sources: DatasetSources;
  /** Extra addresses by file name (the experiment config's data.mirrors). */
  mirrors?: Record<string, readonly string[]>;
  /** Where the verified archives are kept (name = published file name). */
  downloadDir: string;
  /** The dataset is extracted into `<extractDir>/<dataset>/`. */
  extractDir: string;
  retries?: number;
  backoffMs?: number;
  onProgress?: (p: DownloadProgress & { file: string }) => void;
  env?: NodeJS.ProcessEnv;
}

export interface AcquiredFile {
  name: string;
  path: string;
  md5: string;
  sha256: string;
  bytes: number;
  /** True when the verified file was already in downloadDir. */
  cached: boolean;
}

export interface AcquiredDataset {
  dataset: PaperDataset;
  /** Folder the index's paths are relative to. */
  root: string;
  index: DatasetIndex;
  files: AcquiredFile[];
  /** Optional files that had no address or could not be fetched (with the reason). */
  skipped: { name: string; reason: string }[];
}

export async function indexDataset(dataset: PaperDataset, root: string): Promise<DatasetIndex> {
  switch (dataset) {
    case 'cars196':
      return indexCars196(root);
    case 'cub200':
      return indexCub200(root);
    case 'sop':
      return indexSop(root);
    default:
      throw new Error(`unknown dataset '${dataset as string}' (expected cars196, cub200 or sop)`);
  }
}

export async function acquireDataset(dataset: PaperDataset, opts: AcquireOptions): Promise<AcquiredDataset> {
  const source = opts.sources[dataset];
  if (!source) throw new Error(`no sources configured for dataset '${dataset}'`);
  const root = join(opts.extractDir, dataset);
  await fsp.mkdir(root, { recursive: true });
  const files: AcquiredFile[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const file of source.files) {
    const urls = downloadUrlsFor(file, opts.mirrors, opts.env);
    if (urls.length === 0) {
      if (file.optional) {
        skipped.push({ name: file.name, reason: 'no address configured' });
        continue;
      }
      throw new Error(
        `${dataset}: no address configured for ${file.name}; add a mirror (data.mirrors or BGBIAS_DATASET_MIRRORS)`,
      );
    }
    let got;
    try {
      got = await downloadFromMirrors(urls, {
        dest: join(opts.downloadDir, file.name),
        md5: file.md5,
        sha256: file.sha256,
        retries: opts.retries,
        backoffMs: opts.backoffMs,
        onProgress: opts.onProgress ? (p) => opts.onProgress!({ ...p, file: file.name }) : undefined,
      });
    } catch (e) {
      if (!file.optional) throw e;
      skipped.push({ name: file.name, reason: (e as Error).message });
      continue;
    }
    files.push({
      name: file.name,
      path: got.path,
      md5: got.md5,
      sha256: got.sha256,
      bytes: got.bytes,
      cached: got.cached,
    });
    // A marker names the archive's checksum: present = this exact archive was fully extracted.
    const marker = join(root, `.extracted-${file.name}.${got.md5}`);
    if (
      await fsp.stat(marker).then(
        () => true,
        () => false,
      )
    )
      continue;
    if (file.kind === 'archive') await extractArchive(got.path, root);
    else await fsp.copyFile(got.path, join(root, file.name));
    await fsp.writeFile(marker, `${file.name} md5 ${got.md5}\n`);
  }
  const index = await indexDataset(dataset, root);
  checkCounts(index, source.expected);
  return { dataset, root, index, files, skipped };
}
