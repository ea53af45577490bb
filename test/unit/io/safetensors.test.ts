/**
 * lib/io/safetensors.ts against the reference library's files (scripts/fixtures/gen_safetensors.py,
 * huggingface safetensors' numpy API): it reads them to the same arrays and metadata, and writes the
 * same arrays to the same bytes; a damaged file is refused with what is wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../../lib/io/safetensors';

const DIR = join(__dirname, '..', '..', 'fixtures', 'io');
const golden = JSON.parse(readFileSync(join(DIR, 'tiny.json'), 'utf8')) as {
  metadata: Record<string, string>;
  tensors: Record<string, { shape: number[]; data: number[] }>;
};
const arrays = new Map<string, NamedTensor>(
  Object.entries(golden.tensors).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]),
);

test("reads the reference library's file: every tensor and the metadata", () => {
  const { tensors, metadata } = decodeSafetensors(readFileSync(join(DIR, 'tiny.safetensors')), 'tiny.safetensors');
  assert.deepEqual(metadata, golden.metadata);
  assert.deepEqual([...tensors.keys()].sort(), [...arrays.keys()].sort());
  for (const [name, t] of arrays) {
    assert.deepEqual(tensors.get(name)!.shape, t.shape, name);
    assert.deepEqual(tensors.get(name)!.data, t.data, name);
  }
});

test('writes the same bytes as the reference library for the same arrays', () => {
  assert.ok(encodeSafetensors(arrays).equals(readFileSync(join(DIR, 'tiny-nometa.safetensors'))));
  // With metadata: the same tensors back, and the metadata.
  const back = decodeSafetensors(encodeSafetensors(arrays, golden.metadata), 'ours');
  assert.deepEqual(back.metadata, golden.metadata);
  for (const [name, t] of arrays) assert.deepEqual(back.tensors.get(name)!.data, t.data, name);
});

test('a damaged file or a tensor of the wrong size is refused, naming what is wrong', () => {
  const good = readFileSync(join(DIR, 'tiny-nometa.safetensors'));
  assert.throws(
    () => decodeSafetensors(good.subarray(0, good.length - 4), 'cut.safetensors'),
    /cut\.safetensors: .*embedder\.weight: data_offsets/,
  );
  assert.throws(() => decodeSafetensors(good.subarray(0, 5), 'tiny'), /tiny: not a float32 safetensors file: 5 bytes/);
  assert.throws(
    () => encodeSafetensors(new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]])),
    /w has 3 values for shape \[2,2\]/,
  );
});
