/**
 * Worker-local disk cache keyed by content digest: `<root>/<digest>/<name>`. A missing entry is
 * produced into a temporary path and renamed into place, so a present entry is always complete,
 * and two producers racing for the same digest cannot leave a torn file (the second rename wins
 * with identical content).
 */
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';

export async function cachedPath(root: string, digest: string, name: string, produce: (tmpPath: string) => Promise<void>): Promise<string> {
  if (!/^[0-9a-zA-Z_-]{8,128}$/.test(digest)) throw new Error(`local cache: invalid digest '${digest}'`);
  if (name.includes('/') || name.includes('\\') || name === '..' || name === '.' || name === '') throw new Error(`local cache: invalid entry name '${name}'`);
  const final = join(root, digest, name);
  if (await fsp.stat(final).then((s) => s.isFile(), () => false)) return final;
  await fsp.mkdir(dirname(final), { recursive: true });
  const tmp = `${final}.tmp-${process.pid}-${Date.now()}`;
  try {
    await produce(tmp);
    await fsp.rename(tmp, final);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  return final;
}
