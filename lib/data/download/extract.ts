/**
 * Archive extraction for the dataset archives: .tgz (car_ims.tgz, CUB_200_2011.tgz) through the
 * `tar` package, .zip (Stanford_Online_Products.zip) through `yauzl`. Both refuse entries that would
 * land outside the destination, and a truncated or damaged archive fails with the archive's path
 * (never a half-extracted folder that later looks complete: lib/data/datasets/acquire.ts writes its
 * `.extracted-<name>.<md5>` marker only after this resolves).
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import yauzl from 'yauzl';

export class ArchiveError extends Error {
  constructor(
    readonly archive: string,
    detail: string,
  ) {
    super(`cannot extract ${archive}: ${detail}`);
    this.name = 'ArchiveError';
  }
}

export async function extractTgz(archive: string, destDir: string): Promise<void> {
  await fsp.mkdir(destDir, { recursive: true });
  const warnings: string[] = [];
  try {
    await tar.x({
      file: archive,
      cwd: destDir,
      strict: true, // turn recoverable warnings (bad headers, zlib errors) into failures
      preservePaths: false,
      onwarn: (_code: string, message: string) => warnings.push(message),
    });
  } catch (e) {
    throw new ArchiveError(archive, (e as Error).message);
  }
  if (warnings.length > 0) throw new ArchiveError(archive, warnings.join('; '));
}

function openZip(archive: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) =>
    yauzl.open(
      archive,
      { lazyEntries: true, autoClose: true, strictFileNames: false, validateEntrySizes: true },
      (err, zip) => (err || !zip ? rej(err) : res(zip)),
    ),
  );
}

export async function extractZip(archive: string, destDir: string): Promise<void> {
  await fsp.mkdir(destDir, { recursive: true });
  const root = resolve(destDir);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(archive);
  } catch (e) {
    throw new ArchiveError(archive, (e as Error).message);
  }
  await new Promise<void>((res, rej) => {
    const fail = (e: Error) => {
      zip.close();
      rej(new ArchiveError(archive, e.message));
    };
    zip.on('error', fail);
    zip.on('end', () => res());
    // Paths already written: a second entry of the same path would silently replace the first.
    const written = new Map<string, string>();
    zip.on('entry', (entry: yauzl.Entry) => {
      const target = resolve(root, entry.fileName);
      if (target !== root && !target.startsWith(root + sep))
        return fail(new Error(`entry '${entry.fileName}' points outside the destination`));
      const isDir = entry.fileName.endsWith('/');
      const earlier = isDir ? undefined : written.get(target);
      if (earlier !== undefined)
        return fail(
          new Error(
            `entry '${entry.fileName}' occurs twice` +
              `${earlier === entry.fileName ? '' : ` (also as '${earlier}')`}: the second would overwrite the first`,
          ),
        );
      if (!isDir) written.set(target, entry.fileName);
      if (isDir) {
        fsp.mkdir(target, { recursive: true }).then(() => zip.readEntry(), fail);
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return fail(err ?? new Error(`cannot read entry ${entry.fileName}`));
        fsp
          .mkdir(dirname(target), { recursive: true })
          .then(() => pipeline(stream, createWriteStream(target)))
          .then(
            () => zip.readEntry(),
            (e: Error) => fail(new Error(`entry ${entry.fileName}: ${e.message}`)),
          );
      });
    });
    zip.readEntry();
  });
}

/** Extracts by file name suffix (.tgz/.tar.gz or .zip). */
export async function extractArchive(archive: string, destDir: string): Promise<void> {
  if (/\.(tgz|tar\.gz)$/i.test(archive)) return extractTgz(archive, destDir);
  if (/\.zip$/i.test(archive)) return extractZip(archive, destDir);
  throw new ArchiveError(archive, 'unknown archive type (expected .tgz, .tar.gz or .zip)');
}
