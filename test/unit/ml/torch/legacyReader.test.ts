import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadLegacyTorchFile, readLegacyTorchFile } from '../../../../lib/ml/torch/legacyReader';

const dir = join(__dirname, '../../../fixtures/torch');
const expected = JSON.parse(readFileSync(join(dir, 'small_legacy.json'), 'utf8')).tensors as Array<{
  name: string;
  shape: number[];
  dtype: string;
  values: number[];
}>;

test('reads every tensor of a legacy torch.save file: names, order, shapes, dtypes, strided and shared storages', async () => {
  const sd = await loadLegacyTorchFile(join(dir, 'small_legacy.pth'));
  assert.deepEqual(
    [...sd.keys()],
    expected.map((e) => e.name),
  );
  for (const e of expected) {
    const t = sd.get(e.name)!;
    assert.deepEqual(t.shape, e.shape, e.name);
    assert.equal(t.dtype, e.dtype, e.name);
    assert.deepEqual(Array.from(t.data), e.values.map(Math.fround), e.name);
  }
  assert.equal(sd.get('bn.num_batches_tracked')!.data[0], 7);
});

test('truncated files fail with the position', () => {
  const buf = new Uint8Array(readFileSync(join(dir, 'small_legacy.pth')));
  assert.throws(
    () => readLegacyTorchFile(buf.subarray(0, buf.length - 10), 'cut.pth'),
    /cut\.pth: truncated in storage/,
  );
  assert.throws(() => readLegacyTorchFile(buf.subarray(0, 200), 'cut.pth'), /cut\.pth.*truncated/);
});

test('zip-format files, other files and unsupported dtypes get clear errors', () => {
  assert.throws(
    () => readLegacyTorchFile(new Uint8Array(readFileSync(join(dir, 'small_zip.pth'))), 'z.pth'),
    /z\.pth is a zip-format PyTorch file.*_use_new_zipfile_serialization=False/,
  );
  assert.throws(
    () => readLegacyTorchFile(new Uint8Array(readFileSync(join(dir, 'half_legacy.pth'))), 'h.pth'),
    /tensor "w" is stored as torch\.HalfStorage/,
  );
  assert.throws(
    () => readLegacyTorchFile(new Uint8Array(Buffer.from('\x80\x02K\x07.', 'latin1')), 'x.bin'),
    /x\.bin is not a PyTorch legacy file/,
  );
});
