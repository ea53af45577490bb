import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bnInceptionParameterShapes } from '../../../../lib/ml/models/bnInception';
import { loadBnInceptionWeights } from '../../../../lib/ml/models/pretrained';
import { readLegacyTorchFile } from '../../../../lib/ml/torch/legacyReader';
import { writeCadeneBnInceptionFile } from '../../../helpers/bnInceptionFile';
import { hashedTorchParameter, hashedValues } from '../../../helpers/hashedWeights';
import { encodeLegacyTorch, type LegacyTensor } from '../../../helpers/legacyTorchWriter';

const dir = join(__dirname, '../../../fixtures/torch');
const reference = JSON.parse(readFileSync(join(dir, 'writer_reference.json'), 'utf8')) as {
  tensors: Array<{ name: string; shape: number[]; key: string }>;
};

function referenceTensors(): Array<[string, LegacyTensor]> {
  return reference.tensors.map(({ name, shape }) => [
    name,
    {
      shape,
      data: hashedValues(
        name,
        'unit',
        shape.reduce((a, b) => a * b, 1),
      ),
    },
  ]);
}

test("our legacy writer gives torch.save's bytes exactly (same storage keys; ranks 0-6, 1001 entries)", () => {
  const ours = encodeLegacyTorch(referenceTensors(), { storageKeys: reference.tensors.map((t) => t.key) });
  const torch = readFileSync(join(dir, 'writer_reference.pth'));
  const first = ours.findIndex((b, i) => b !== torch[i]);
  assert.equal(
    first === -1 && ours.length === torch.length,
    true,
    `first differing byte ${first} (${ours.length} vs ${torch.length} bytes)`,
  );
});

test('what it writes reads back through our reader: names, shapes, values', () => {
  const tensors = referenceTensors().slice(0, 8);
  const back = readLegacyTorchFile(new Uint8Array(encodeLegacyTorch(tensors)));
  assert.deepEqual(
    [...back.keys()],
    tensors.map(([n]) => n),
  );
  for (const [name, t] of tensors) {
    assert.deepEqual(back.get(name)!.shape, [...t.shape], name);
    assert.deepEqual(back.get(name)!.data, t.data, name);
  }
  assert.throws(
    () => encodeLegacyTorch([['x', { shape: [2, 2], data: new Float32Array(3) }]]),
    /x has 3 values for shape \[2, 2\]/,
  );
});

test("a random BN-Inception file in Cadene's layout: ~45 MB in seconds, loadBnInceptionWeights takes it", async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bgbias-writer-'));
  try {
    const t0 = Date.now();
    const file = await writeCadeneBnInceptionFile(tmp);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`  ${file.name}: ${file.bytes} bytes in ${seconds} s`);
    assert.ok(file.bytes > 45e6 && file.bytes < 46e6, `${file.bytes} bytes`);
    assert.match(file.name, new RegExp(`^bn_inception-${file.sha256.slice(0, 9)}\\.pth$`));
    const weights = await loadBnInceptionWeights(file.path); // checks the name's sha256 prefix too
    const trunk = [...bnInceptionParameterShapes()].filter(([n]) => !n.startsWith('embedder.'));
    assert.equal(weights.size, trunk.length + 2);
    for (const [name, shape] of trunk) assert.deepEqual(weights.get(name)?.shape, shape, name);
    assert.deepEqual(weights.get('last_linear.weight')?.shape, [1000, 1024]);
    for (const name of ['conv1_7x7_s2.weight', 'inception_5b_pool_proj_bn.running_var']) {
      assert.deepEqual(weights.get(name)!.data, hashedTorchParameter(name, weights.get(name)!.shape), name);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
