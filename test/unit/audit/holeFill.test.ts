import { test } from 'node:test';
import assert from 'node:assert/strict';
import { objectBox, removeObject } from '../../../lib/audit/holeFill';

// One channel, 6 x 6, value 10*y + x: every pixel says where it came from.
const S = 6;
const image = Float32Array.from({ length: S * S }, (_, p) => 10 * Math.floor(p / S) + (p % S));
const flat = Float32Array.from([-1]);
function boxMask(top: number, left: number, bottom: number, right: number, value = 1): Float32Array {
  const m = new Float32Array(S * S);
  for (let y = top; y < bottom; y++) for (let x = left; x < right; x++) m[y * S + x] = value;
  return m;
}
const at = (a: Float32Array, y: number, x: number) => a[y * S + x];

test('objectBox: the box of mask >= 0.5 pixels; null without any', () => {
  const m = boxMask(2, 1, 4, 5);
  m[0] = 0.49; // below the threshold: not part of the box
  assert.deepEqual(objectBox(m, S), { top: 2, left: 1, bottom: 4, right: 5 });
  assert.equal(objectBox(boxMask(0, 0, 6, 6, 0.3), S), null);
});

test("tile rule: the largest strip, mirrored into the box (numpy 'symmetric')", () => {
  // Box rows 2-3, columns 1-4. Strips: above 2x6 = 12, below 2x6 = 12, left 6, right 6 -> above (ties
  // go to the first). Mirrored downward from the box edge: row 2 <- row 1, row 3 <- row 0.
  const r = removeObject(image, boxMask(2, 1, 4, 5), S, 'tile', flat);
  assert.deepEqual(r.record, { box: { top: 2, left: 1, bottom: 4, right: 5 }, source: 'strip-above' });
  for (let x = 1; x < 5; x++) {
    assert.equal(at(r.image, 2, x), 10 + x);
    assert.equal(at(r.image, 3, x), x);
  }
  // Outside the box nothing changes (the mask is 0 there).
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++)
      if (!(y >= 2 && y < 4 && x >= 1 && x < 5)) assert.equal(at(r.image, y, x), at(image, y, x));
});

test('tile rule: a strip shorter than the box repeats symmetrically; right strip; soft fringe blends', () => {
  // Box = all rows, columns 0-3: only the right strip (columns 4-5, 2 wide) is left. Mirrored leftward
  // from column 4 with period 4: column 3 <- 4, 2 <- 5, 1 <- 5, 0 <- 4.
  const m = boxMask(0, 0, 6, 4);
  const r = removeObject(image, m, S, 'tile', flat);
  assert.equal(r.record.source, 'strip-right');
  for (let y = 0; y < S; y++)
    assert.deepEqual(
      [0, 1, 2, 3].map((x) => at(r.image, y, x)),
      [4, 5, 5, 4].map((c) => 10 * y + c),
    );
  // Soft fringe outside the box is removed in proportion to its mask: T*0.25 + x*0.75. Box rows/columns
  // 2-3: the four strips tie at 12 pixels -> above (rows 0-1). On the strip T = x, so the pixel at row 1
  // is unchanged; at row 4 (off the strip) T mirrors to row 0.
  const soft = boxMask(2, 2, 4, 4);
  soft[1 * S + 3] = 0.25;
  soft[4 * S + 3] = 0.25;
  const s = removeObject(image, soft, S, 'tile', flat);
  assert.equal(s.record.source, 'strip-above');
  assert.equal(at(s.image, 1, 3), at(image, 1, 3));
  assert.equal(at(s.image, 4, 3), Math.fround(at(image, 0, 3) * 0.25 + at(image, 4, 3) * 0.75));
});

test('flat rule fills the box with the flat colour; whole-image box falls back to flat; no object = unchanged', () => {
  const r = removeObject(image, boxMask(2, 1, 4, 5), S, 'flat', flat);
  assert.equal(r.record.source, 'flat');
  assert.equal(at(r.image, 3, 2), -1);
  assert.equal(at(r.image, 0, 0), 0);
  const whole = removeObject(image, boxMask(0, 0, 6, 6), S, 'tile', flat);
  assert.equal(whole.record.source, 'flat');
  assert.ok(whole.image.every((v) => v === -1));
  const none = removeObject(image, boxMask(0, 0, 6, 6, 0.2), S, 'tile', flat);
  assert.deepEqual(none.record, { box: null, source: 'none' });
  assert.deepEqual(none.image, image);
});

test('bad hole-fill inputs are named', () => {
  assert.throws(() => removeObject(image, new Float32Array(5), S, 'tile', flat), /mask has 5 values, expected 6x6/);
  assert.throws(
    () => removeObject(image, boxMask(0, 0, 1, 1), S, 'blur' as 'tile', flat),
    /'tile' or 'flat', got blur/,
  );
});
