import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export async function isFile(path: string): Promise<boolean> {
  return fsp.stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function isDir(path: string): Promise<boolean> {
  return fsp.stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Reads a file the dataset must contain; a missing one is named with what it is for. */
export async function readRequired(path: string, what: string): Promise<Buffer> {
  try {
    return await fsp.readFile(path);
  } catch (e) {
    throw new Error(`missing ${what}: ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      cause: e,
    });
  }
}

/** Fails naming up to 5 listed images that are not on disk (a partial extraction or wrong archive). */
export async function checkFilesExist(root: string, relPaths: readonly string[], dataset: string): Promise<void> {
  const missing: string[] = [];
  const batch = 64;
  for (let i = 0; i < relPaths.length; i += batch) {
    const chunk = relPaths.slice(i, i + batch);
    const ok = await Promise.all(chunk.map((p) => isFile(join(root, p))));
    chunk.forEach((p, k) => {
      if (!ok[k]) missing.push(p);
    });
  }
  if (missing.length > 0) {
    throw new Error(
      `${dataset}: ${missing.length} listed image(s) missing under ${root}: ` +
        `${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`,
    );
  }
}
