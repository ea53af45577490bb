/**
 * Activity: a folder of the user's images (`data.folders.<name>`) into the store, once, as the
 * paper's archives are: content-addressed by the digest of its file list (relative path, size and
 * sha256 of every image and mask), at `imports/folder/<digest>/`, so that workers on other machines,
 * and later runs, read the stored copy and never the path. The same images at another path, or
 * under another name, are the same import.
 *
 * Stored form (a verified stage: its manifest lists every file's sha256):
 *  - `files.json`: `{ version, images: [{ path, bytes, sha256, mask?: { bytes, sha256 } }] }`, sorted by path;
 *  - `part-NNNNN.bgsh`: the files themselves in the shard format (id = relative path, image = the
 *    file's bytes as they are, mask = the mask file's bytes or empty), about PART_BYTES each.
 *
 * Only this activity reads the path, so it must run on a CPU worker that sees it. The layout is
 * checked here (lib/data/datasets/folderIndex.ts) before anything is uploaded.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { ExperimentConfig } from '../../configs/schema';
import { folderDataset } from '../../configs/folderDatasets';
import { ValidationError } from '../../contracts/errors';
import { indexFolder, isImageFile, maskFileFor } from '../../lib/data/datasets/folderIndex';
import { encodeShard, type ShardItem } from '../../lib/data/shardFormat';
import { stageDigest } from '../../lib/store/digest';
import { runCached } from '../../lib/store/stageOutput';
import { logInfo, type Stores } from '../context';
import { withTicker } from '../realDataset/ticker';

/** Bump when the stored form changes (it is part of the digest, so an old import is never misread). */
export const FOLDER_IMPORT_VERSION = 1;
const PART_BYTES = 64 * 1024 ** 2;
export const IMPORT_EXPERIMENT = 'imports';
export const IMPORT_STAGE = 'folder';

export interface ImportedFile {
  path: string;
  bytes: number;
  sha256: string;
  mask?: { bytes: number; sha256: string };
}

export interface FolderFiles {
  version: number;
  images: ImportedFile[];
}

/** What `importFolderDataset` hands to `buildFolderDataset`: a small ref, never the files. */
export interface FolderImportRef {
  dataset: string;
  prefix: string;
  digest: string;
  cached: boolean;
  images: number;
  bytes: number;
  /** Whether a masks folder came with it (then every kept image has its mask in the parts). */
  masks: boolean;
}

/** Every file below `root`, relative and '/'-separated; symbolic links are followed as the OS does. */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await fsp.readdir(root, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const full = join(e.parentPath, e.name);
    const isFile = e.isFile() || (e.isSymbolicLink() && (await fsp.stat(full).catch(() => undefined))?.isFile());
    if (isFile)
      out.push(
        full
          .slice(root.length + 1)
          .split('\\')
          .join('/'),
      );
  }
  return out.sort();
}

async function sha256File(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function requireFolder(path: string, what: string): Promise<string> {
  const root = path.replace(/\/+$/, '');
  const stat = await fsp.stat(root).catch((e: NodeJS.ErrnoException) => e);
  if (stat instanceof Error || !stat.isDirectory())
    throw new ValidationError(
      `${what}: ${path} is not a folder on this worker (${os.hostname()}` +
        `${stat instanceof Error ? `: ${stat.code ?? stat.message}` : ''}); the folder is imported by a CPU worker ` +
        `that can read it`,
    );
  return root;
}

export function importFolderDataset(stores: Stores) {
  return async (config: ExperimentConfig, dataset: string): Promise<FolderImportRef> => {
    const setting = folderDataset(config, dataset);
    const field = `data.folders.${dataset}`;
    const root = await requireFolder(setting.path, field);
    const maskRoot = setting.masks ? await requireFolder(setting.masks, `${field}.masks`) : undefined;
    const store = await stores.get(config.storage.bucket);
    return withTicker(async (ticker) => {
      ticker.update({ dataset, phase: 'list files' });
      const files = await listFiles(root);
      const maskFiles = maskRoot ? new Set(await listFiles(maskRoot)) : undefined;
      // The layout and the masks are checked before anything is read or uploaded.
      const checked = indexFolder({
        dataset,
        files,
        split: setting.split,
        seed: setting.splitSeed,
        policy: config.data.unreadableImages,
        maskFiles,
      });
      const ignored = new Set(checked.ignored);
      const images: ImportedFile[] = [];
      for (const [i, path] of files.entries()) {
        if (ignored.has(path) || !isImageFile(path)) continue;
        ticker.update({ dataset, phase: 'hash files', done: i, total: files.length });
        const file: ImportedFile = { path, ...(await sha256File(join(root, path))) };
        const mask = maskFileFor(path);
        if (maskRoot && maskFiles?.has(mask)) file.mask = await sha256File(join(maskRoot, mask));
        images.push(file);
      }
      const listing: FolderFiles = { version: FOLDER_IMPORT_VERSION, images };
      const digest = stageDigest('folder-import', FOLDER_IMPORT_VERSION, listing, []);
      const bytes = images.reduce((n, f) => n + f.bytes + (f.mask?.bytes ?? 0), 0);
      const result = await runCached(
        store,
        { experiment: IMPORT_EXPERIMENT, stage: IMPORT_STAGE, digest },
        async (writer) => {
          let part: ShardItem[] = [];
          let partBytes = 0;
          let parts = 0;
          const flush = async () => {
            if (part.length === 0) return;
            ticker.update({ dataset, phase: 'upload', part: parts });
            await writer.putBuffer(`part-${String(parts++).padStart(5, '0')}.bgsh`, encodeShard(part));
            part = [];
            partBytes = 0;
          };
          for (const f of images) {
            const image = await fsp.readFile(join(root, f.path));
            const mask = f.mask ? await fsp.readFile(join(maskRoot!, maskFileFor(f.path))) : Buffer.alloc(0);
            // The bytes packed are the bytes hashed: a file changed meanwhile would poison the import.
            for (const [what, buf, want] of [
              ['image', image, f.sha256],
              ['mask', mask, f.mask?.sha256],
            ] as const)
              if (want && createHash('sha256').update(buf).digest('hex') !== want)
                throw new Error(`${field}: the ${what} of ${f.path} changed while it was imported; retrying`);
            part.push({ id: f.path, label: 0, image, mask });
            partBytes += image.length + mask.length;
            if (partBytes >= PART_BYTES) await flush();
          }
          await flush();
          await writer.putJson('files.json', listing);
          return { metrics: { images: images.length, bytes, masks: maskRoot !== undefined, parts } };
        },
        (err) => logInfo(`${field}: stored import not used, importing again: ${err.message}`),
      );
      const prefix = `${IMPORT_EXPERIMENT}/${IMPORT_STAGE}/${digest}`;
      logInfo(
        `${field}: ${images.length} images (${(bytes / 1024 ** 2).toFixed(1)} MiB) ` +
          `${result.cached ? 'already in the store' : 'imported'} as ${prefix}` +
          (checked.ignored.length ? `; ${checked.ignored.length} other file(s) ignored` : ''),
      );
      return { dataset, prefix, digest, cached: result.cached, images: images.length, bytes, masks: !!maskRoot };
    });
  };
}
