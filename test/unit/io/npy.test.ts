import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy, encodeNpy, readNpy, writeNpy } from '../../../lib/io/npy';

// Files written by numpy 1.24 (np.save, or np.lib.format.write_array(..., version=(2, 0))), base64:
// python3 -c "import numpy as np,io,base64; f=io.BytesIO(); np.save(f, ARRAY); print(base64.b64encode(f.getvalue()).decode())"
const NUMPY = {
  // np.array([[1.5, -2.0, 3.25], [0.0, 1e-3, -7.0]], dtype='<f4')
  f4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwAAAUEAAAAAAbxKDOgAA4MA=',
  // np.array([1/3, -2.5], dtype='<f8'), format version 2.0
  f8v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIApVVVVVVVXVPwAAAAAAAATA',
  // np.array([[1, -2], [3, 2147483647]], dtype='<i4')
  i4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAA/v///wMAAAD///9/',
  // np.array([5, -1, 2**53 + 1], dtype='<i8')
  i8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoFAAAAAAAAAP//////////AQAAAAAAIAA=',
  // np.array([[0, 255, 7]], dtype='u1')
  u1: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoA/wc=',
  // np.array(2.5, dtype='<f4') (0-d)
  scalar:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAACBA',
  // np.zeros((0, 3), dtype='<i4')
  i4empty:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=',
  // np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3))
  fortran:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQAAAgD8AAIBAAAAAQAAAoEA=',
  // np.array([1, 2], dtype='>f4')
  bigEndian:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/gAAAQAAAAA==',
  // np.array([1, 2], dtype='<f2')
  f2: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPABA',
};
const bytes = (name: keyof typeof NUMPY) => new Uint8Array(Buffer.from(NUMPY[name], 'base64'));

test('reads numpy-written arrays of every supported dtype', () => {
  const f4 = parseNpy(bytes('f4'));
  assert.equal(f4.dtype, 'float32');
  assert.deepEqual(f4.shape, [2, 3]);
  assert.deepEqual(Array.from(f4.data as Float32Array), [1.5, -2, 3.25, 0, Math.fround(1e-3), -7]);

  const f8 = parseNpy(bytes('f8v2'));
  assert.deepEqual([f8.dtype, f8.shape, Array.from(f8.data as Float64Array)], ['float64', [2], [1 / 3, -2.5]]);

  const i4 = parseNpy(bytes('i4'));
  assert.deepEqual([i4.dtype, i4.shape, Array.from(i4.data as Int32Array)], ['int32', [2, 2], [1, -2, 3, 2147483647]]);

  const i8 = parseNpy(bytes('i8'));
  assert.deepEqual(
    [i8.dtype, i8.shape, Array.from(i8.data as BigInt64Array)],
    ['int64', [3], [5n, -1n, 9007199254740993n]],
  );

  const u1 = parseNpy(bytes('u1'));
  assert.deepEqual([u1.dtype, u1.shape, Array.from(u1.data as Uint8Array)], ['uint8', [1, 3], [0, 255, 7]]);

  const s = parseNpy(bytes('scalar'));
  assert.deepEqual([s.shape, Array.from(s.data as Float32Array)], [[], [2.5]]);

  const e = parseNpy(bytes('i4empty'));
  assert.deepEqual([e.shape, e.data.length], [[0, 3], 0]);
});

test('rejects Fortran order, big-endian, unsupported dtypes, truncation and garbage, naming the file', () => {
  assert.throws(() => parseNpy(bytes('fortran'), 'a.npy'), /a\.npy: Fortran-order arrays are not supported/);
  assert.throws(() => parseNpy(bytes('bigEndian'), 'b.npy'), /b\.npy: big-endian dtype '>f4'/);
  assert.throws(() => parseNpy(bytes('f2'), 'c.npy'), /c\.npy: unsupported dtype '<f2'/);
  const full = bytes('f4');
  assert.throws(
    () => parseNpy(full.subarray(0, full.length - 3), 'd.npy'),
    /d\.npy: truncated data: shape \(2, 3\) of float32 needs 24 bytes, file has 21/,
  );
  assert.throws(() => parseNpy(full.subarray(0, 40), 'e.npy'), /e\.npy: truncated header/);
  assert.throws(() => parseNpy(Buffer.concat([full, Buffer.from([1, 2])]), 'f.npy'), /2 unexpected trailing bytes/);
  assert.throws(() => parseNpy(new TextEncoder().encode('label\n1\n2\n3\n'), 'g.npy'), /g\.npy: not a \.npy file/);
  const badVersion = full.slice();
  badVersion[6] = 9;
  assert.throws(() => parseNpy(badVersion, 'h.npy'), /unsupported \.npy format version 9\.0/);
});

test('writer round-trips every dtype and lays the header out as the format requires', () => {
  const arrays = [
    { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
    { dtype: 'float64' as const, shape: [3], data: Float64Array.from([Math.PI, -0, 1e300]) },
    { dtype: 'int32' as const, shape: [1, 2, 2], data: Int32Array.from([1, -1, 2147483647, -2147483648]) },
    { dtype: 'int64' as const, shape: [2], data: BigInt64Array.from([-5n, 1n << 60n]) },
    { dtype: 'uint8' as const, shape: [4], data: Uint8Array.from([0, 1, 128, 255]) },
    { dtype: 'float32' as const, shape: [], data: Float32Array.from([7]) },
  ];
  for (const a of arrays) {
    const enc = encodeNpy(a);
    const headerLen = enc[8] | (enc[9] << 8);
    assert.equal((10 + headerLen) % 64, 0, 'data must start on a 64-byte boundary');
    assert.equal(enc[10 + headerLen - 1], 0x0a, 'header ends with a newline');
    const dec = parseNpy(enc);
    assert.deepEqual(dec, a);
  }
  // A numpy-written file re-encoded by us decodes to the same array.
  const orig = parseNpy(bytes('f4'));
  assert.deepEqual(parseNpy(encodeNpy(orig)), orig);
});

test('writer rejects inconsistent arrays', () => {
  assert.throws(
    () => encodeNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }),
    /has 4 elements but the data has 3/,
  );
  assert.throws(
    () => encodeNpy({ dtype: 'int32', shape: [2], data: new Float32Array(2) }),
    /int32 needs a Int32Array, got Float32Array/,
  );
});

test('readNpy/writeNpy go through the file system and name a missing file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npy-'));
  const a = { dtype: 'int64' as const, shape: [3], data: BigInt64Array.from([1n, 2n, 3n]) };
  await writeNpy(join(dir, 'x.npy'), a);
  assert.deepEqual(await readNpy(join(dir, 'x.npy')), a);
  writeFileSync(join(dir, 'odd-offset.npy'), bytes('f8v2'));
  assert.deepEqual(Array.from((await readNpy(join(dir, 'odd-offset.npy'))).data as Float64Array), [1 / 3, -2.5]);
  await assert.rejects(readNpy(join(dir, 'missing.npy')), /cannot read .*missing\.npy/);
});
