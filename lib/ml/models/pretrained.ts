/**
 * The ImageNet BN-Inception weights of the paper (Cadene pretrainedmodels 0.7.4; address in
 * configs/paper/addresses.ts), a legacy-format torch.save state_dict. Like torch.hub, a file name
 * ending in "-<hex>.pth" promises that its sha256 starts with <hex>; we check that promise, so a
 * truncated or wrong download is caught before training.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { readLegacyTorchFile } from '../torch/legacyReader';
import type { TorchWeight } from './bnInception';

/** The sha256 prefix a torch.hub-style file name promises ("name-<hex>.pth"), if any. */
export function hashPrefixFromName(path: string): string | undefined {
  const m = /-([0-9a-f]{6,64})\.pth$/.exec(basename(path));
  return m?.[1];
}

/**
 * Reads the weights (state_dict keys as in PyTorch, e.g. 'conv1_7x7_s2.weight'); verifies the sha256
 * prefix when the file name carries one. Pass the result to createBnInception({ weights }).
 */
export async function loadBnInceptionWeights(path: string): Promise<Map<string, TorchWeight>> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new Error(`cannot read BN-Inception weights ${path}: ${(e as Error).message}`, { cause: e });
  }
  const prefix = hashPrefixFromName(path);
  if (prefix !== undefined) {
    const sha = createHash('sha256').update(buf).digest('hex');
    if (!sha.startsWith(prefix)) {
      throw new Error(
        `BN-Inception weights ${path}: sha256 ${sha} does not start with ${prefix} (as its name promises); ` +
          'the download is corrupt or a different file',
      );
    }
  }
  const sd = readLegacyTorchFile(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
  const out = new Map<string, TorchWeight>();
  for (const [k, t] of sd) out.set(k, { shape: t.shape, data: t.data });
  return out;
}
