import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MatValue, readMatFile } from '../../../lib/data/datasets/matV5';

const dir = join(__dirname, '..', '..', 'fixtures', 'data', 'mat');
const expected = JSON.parse(readFileSync(join(dir, 'types.expected.json'), 'utf8'));

// Turns a parsed value into the plain shape the fixture script wrote (independently, from numpy).
function plain(v: MatValue): unknown {
  if (v.kind === 'char') return v.strings.length === 1 ? v.strings[0] : v.strings;
  if (v.kind === 'numeric') return v.data;
  if (v.kind === 'cell') return v.cells.map(plain);
  return v.elements.map((e) => Object.fromEntries(Object.entries(e).map(([k, x]) => [k, plain(x)])));
}

for (const file of ['types.mat', 'types_compressed.mat']) {
  test(`readMatFile reads every type scipy.io.savemat wrote (${file})`, () => {
    const vars = readMatFile(readFileSync(join(dir, file)), file);
    for (const name of ['dbl', 'u8', 'i32', 'logical', 'empty']) {
      const v = vars[name];
      assert.equal(v.kind, 'numeric', name);
      if (v.kind !== 'numeric') continue;
      assert.deepEqual(v.dims, expected[name].dims, name);
      assert.deepEqual(v.data, expected[name].data, name);
    }
    assert.equal((vars.logical as { logical: boolean }).logical, true);
    assert.equal((vars.u8 as { className: string }).className, 'uint8');
    assert.deepEqual((vars.text as { strings: string[] }).strings, expected.text.strings);
    assert.deepEqual((vars.rows as { strings: string[] }).strings, expected.rows.strings);
    assert.deepEqual(plain(vars.cell), expected.cell);
    const st = vars.st;
    assert.equal(st.kind, 'struct');
    if (st.kind === 'struct') assert.deepEqual(st.fieldNames, expected.st.fields);
    assert.deepEqual(plain(st), expected.st.elements);
  });
}

test('readMatFile rejects truncated, non-MAT and v7.3 files with the file name', () => {
  const good = readFileSync(join(dir, 'types.mat'));
  assert.throws(() => readMatFile(good.subarray(0, 300), 'cut.mat'), /cut\.mat: .*truncated/);
  assert.throws(() => readMatFile(Buffer.alloc(200, 65), 'junk.mat'), /junk\.mat: .*header/);
  const v73 = Buffer.from(good);
  v73.write('MATLAB 7.3 MAT-file', 0, 'latin1');
  assert.throws(() => readMatFile(v73, 'new.mat'), /new\.mat: .*v7\.3/);
  const comp = Buffer.from(readFileSync(join(dir, 'types_compressed.mat')));
  comp.fill(0, 150, 170); // damage the first zlib stream
  assert.throws(() => readMatFile(comp, 'bad.mat'), /bad\.mat: .*(inflated|truncated)/);
});
