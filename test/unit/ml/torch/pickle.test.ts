import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PyCallable, unpickle } from '../../../../lib/ml/torch/pickle';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const ordered = {
  findClass: (m: string, n: string) =>
    m === 'collections' && n === 'OrderedDict'
      ? new PyCallable(
          'collections.OrderedDict',
          (args) => new Map(((args[0] as unknown[][] | undefined) ?? []).map((kv) => [kv[0], kv[1]])),
        )
      : undefined,
};

// Byte strings written by hand from the pickle opcode table; Python 3's pickle.loads gives the
// values asserted here (checked when writing the test).
test('Python 2 style OrderedDict([[k, v]]) with SHORT_BINSTRING keys', () => {
  const r = unpickle(
    bytes('\x80\x02ccollections\nOrderedDict\nq\x00]q\x01]q\x02(U\x01aK\x01ea\x85Rq\x03.'),
    0,
    ordered,
  );
  assert.deepEqual(r.value, new Map([['a', 1]]));
});

test('LONG1 big ints, BINFLOAT, negative BININT, BINSTRING, INT bools and memo self-reference', () => {
  const b = bytes(
    '\x80\x02]q\x00(\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19G?\xf8\x00\x00\x00\x00\x00\x00J\xff\xff\xff\xffT\x02\x00\x00\x00hiI01\nh\x00e.',
  );
  const r = unpickle(b, 0, ordered);
  const v = r.value as unknown[];
  assert.equal(v[0], 119547037146038801333356n);
  assert.deepEqual(v.slice(1, 5), [1.5, -1, 'hi', true]);
  assert.equal(v[5], v, 'BINGET returns the memoised list itself');
  assert.equal(r.end, b.length);
});

test('errors: truncation, unknown opcodes, unknown globals', () => {
  assert.throws(() => unpickle(bytes('\x80\x02X\x05\x00\x00\x00ab'), 0, ordered, 'f.pth'), /f\.pth: .*truncated/);
  assert.throws(() => unpickle(bytes('\x80\x02\xff.'), 0, ordered), /unsupported opcode 0xff at byte 2/);
  assert.throws(() => unpickle(bytes('\x80\x02cos\nsystem\n.'), 0, ordered), /unsupported Python global os\.system/);
});
