import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTensorFile, encodeTensorFile } from '../../../../lib/ml/checkpoint/tensorFile';

test('tensor file round-trips float32 bits, shapes and metadata', () => {
  const a = new Float32Array([1.5, -0, Number.MIN_VALUE, 3.4028234663852886e38, NaN, 1e-45]);
  const b = new Float32Array([7]);
  const buf = encodeTensorFile(
    new Map([
      ['conv.weight', { shape: [2, 3], data: a }],
      ['x', { shape: [], data: b }],
    ]),
    { epoch: 3 },
  );
  const { meta, tensors } = decodeTensorFile(buf);
  assert.deepEqual(meta, { epoch: 3 });
  assert.deepEqual(tensors.get('conv.weight')!.shape, [2, 3]);
  assert.deepEqual(new Uint32Array(tensors.get('conv.weight')!.data.buffer), new Uint32Array(a.buffer));
  assert.deepEqual([...tensors.get('x')!.data], [7]);
});

test('bad shapes and truncated files are rejected by name', () => {
  assert.throws(
    () => encodeTensorFile(new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]])),
    /tensor w: shape \[2,2\] needs 4/,
  );
  const buf = encodeTensorFile(new Map([['w', { shape: [4], data: new Float32Array(4) }]]));
  assert.throws(() => decodeTensorFile(buf.subarray(0, buf.length - 2), 'ckpt'), /ckpt: truncated data of tensor w/);
  assert.throws(() => decodeTensorFile(Buffer.from('hello world')), /not a bgbias tensor file/);
});
