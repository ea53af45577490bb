/**
 * A BN-Inception weights file in the layout of Cadene's bn_inception-52deb4733.pth (legacy torch.save
 * of BNInception's state_dict: conv / BN names as in bninception.py, last_linear 1000 x 1024, no
 * num_batches_tracked, no embedder), with hashed random weights (hashedWeights.ts), made at test
 * time: ~45 MB that are never committed. The rehearsal tests use it as "the ImageNet weights".
 *
 *   cadeneBnInceptionTensors(options) -> [name, { shape, data }][] in Cadene's state_dict order
 *   writeCadeneBnInceptionFile(dir, options) -> { path, name, bytes, sha256 }
 *     name is torch.hub style, 'bn_inception-<first 9 hex of the sha256>.pth', the promise the
 *     product checks (config model.pretrainedSha256Prefix = sha256.slice(0, 9)).
 *   options.salt: prefix for the hashed names, to make a file with other values (default none);
 *   options.edit: change the tensor list before writing (drop or reshape a tensor, for error tests).
 */
import { join } from 'node:path';
import { bnInceptionParameterShapes } from '../../lib/ml/models/bnInception';
import { hashedTorchParameter } from './hashedWeights';
import { writeLegacyTorchFile, type LegacyTensor } from './legacyTorchWriter';

export interface CadeneFileOptions {
  salt?: string;
  edit?: (tensors: Array<[string, LegacyTensor]>) => Array<[string, LegacyTensor]>;
}

export function cadeneBnInceptionTensors(options: CadeneFileOptions = {}): Array<[string, LegacyTensor]> {
  const salt = options.salt ?? '';
  const out: Array<[string, LegacyTensor]> = [];
  for (const [name, shape] of bnInceptionParameterShapes()) {
    if (name.startsWith('embedder.')) continue; // the reference adds its head itself
    out.push([name, { shape, data: hashedTorchParameter(salt + name, shape) }]);
  }
  out.push([
    'last_linear.weight',
    { shape: [1000, 1024], data: hashedTorchParameter(`${salt}last_linear.weight`, [1000, 1024]) },
  ]);
  out.push(['last_linear.bias', { shape: [1000], data: hashedTorchParameter(`${salt}last_linear.bias`, [1000]) }]);
  return options.edit ? options.edit(out) : out;
}

export async function writeCadeneBnInceptionFile(
  dir: string,
  options: CadeneFileOptions = {},
): Promise<{ path: string; name: string; bytes: number; sha256: string }> {
  const tmp = join(dir, `bn_inception-${process.pid}-${Date.now()}.tmp`);
  const written = await writeLegacyTorchFile(tmp, cadeneBnInceptionTensors(options));
  const name = `bn_inception-${written.sha256.slice(0, 9)}.pth`;
  const path = join(dir, name);
  const { rename } = await import('node:fs/promises');
  await rename(tmp, path);
  return { path, name, bytes: written.bytes, sha256: written.sha256 };
}

// `node --import tsx test/helpers/bnInceptionFile.ts DIR`: writes the file and prints its JSON
// description (used by scripts/fixtures/check_legacy_writer.py to load it with PyTorch).
if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node --import tsx test/helpers/bnInceptionFile.ts DIR');
    process.exit(2);
  }
  const t0 = Date.now();
  writeCadeneBnInceptionFile(dir).then(
    (f) => console.log(JSON.stringify({ ...f, seconds: (Date.now() - t0) / 1000 })),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
