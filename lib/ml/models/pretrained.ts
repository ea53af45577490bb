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
import { bnInceptionWeightProblems, type TorchWeight } from './bnInception';

/** The sha256 prefix a torch.hub-style file name promises ("name-<hex>.pth"), if any. */
export function hashPrefixFromName(path: string): string | undefined {
  const m = /-([0-9a-f]{6,64})\.pth$/.exec(basename(path));
  return m?.[1];
}

/** A weights file that cannot be used as it is (wrong bytes, unreadable, tensors that do not fit). */
export class PretrainedWeightsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PretrainedWeightsError';
  }
}

/**
 * Reads the weights (state_dict keys as in PyTorch, e.g. 'conv1_7x7_s2.weight'); verifies the sha256
 * prefix when the file name carries one, and that every tensor fits BN-Inception (the embedder may
 * be absent). Pass the result to createBnInception({ weights }). `source` names the file in errors
 * (default: the path).
 */
export async function loadBnInceptionWeights(path: string, source = path): Promise<Map<string, TorchWeight>> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new Error(`cannot read BN-Inception weights ${source}: ${(e as Error).message}`, { cause: e });
  }
  const prefix = hashPrefixFromName(path);
  if (prefix !== undefined) {
    const sha = createHash('sha256').update(buf).digest('hex');
    if (!sha.startsWith(prefix)) {
      throw new PretrainedWeightsError(
        `BN-Inception weights ${source}: sha256 ${sha} does not start with ${prefix} (as its name promises); ` +
          'the download is corrupt or a different file',
      );
    }
  }
  let sd;
  try {
    sd = readLegacyTorchFile(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), source);
  } catch (e) {
    // The reader's messages start with `source`.
    throw new PretrainedWeightsError(`cannot read BN-Inception weights: ${(e as Error).message}`, { cause: e });
  }
  const out = new Map<string, TorchWeight>();
  for (const [k, t] of sd) out.set(k, { shape: t.shape, data: t.data });
  const problems = bnInceptionWeightProblems(out);
  if (problems.length > 0) {
    throw new PretrainedWeightsError(
      `BN-Inception weights ${source}: ${problems.length} tensor(s) do not fit the model (Cadene's ` +
        `bninception.py names and shapes):\n  ${problems.join('\n  ')}`,
    );
  }
  return out;
}
