import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  colourInModelSpace,
  conventionFromFlags,
  parseInputConvention,
  readInputConvention,
  sidecarPath,
  toLayout,
  toModelSpace,
} from '../../../lib/audit/inputConvention';

const IMAGENET = { size: 4, channels: 'rgb', range: '0-1', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

test('defaults are filled in and recorded: resizeShort 8/7 of size, nhwc, l2Normalize', () => {
  assert.deepEqual(parseInputConvention({ size: 224, channels: 'rgb', range: '0-1' }, 'x'), {
    size: 224,
    resizeShort: 256,
    channels: 'rgb',
    range: '0-1',
    mean: [0, 0, 0],
    std: [1, 1, 1],
    layout: 'nhwc',
    l2Normalize: true,
  });
});

test('every bad field is named, with where the convention came from', () => {
  const bad = { size: 224.5, channels: 'rgbx', range: '0-1', mean: [1, 2], std: [1, 0, 1], meen: 3 };
  assert.throws(
    () => parseInputConvention(bad, 'model.input.json'),
    (e: Error) =>
      /^model\.input\.json: invalid input convention/.test(e.message) &&
      /size: /.test(e.message) &&
      /channels: /.test(e.message) &&
      /mean: /.test(e.message) &&
      /std\.1: expected a positive number/.test(e.message) &&
      /meen/.test(e.message),
  );
  assert.throws(() => parseInputConvention({ size: 224, channels: 'rgb' }, 'flags'), /range: /);
  assert.throws(
    () => parseInputConvention({ size: 224, resizeShort: 200, channels: 'rgb', range: '0-1' }, 'flags'),
    /resizeShort: 200 is smaller than size 224/,
  );
});

test('flags: numbers, triples and booleans from strings; bad ones named', () => {
  const c = conventionFromFlags({
    size: '224',
    channels: 'bgr',
    range: '0-255',
    mean: '104,117,128',
    l2Normalize: 'false',
    layout: 'nchw',
    std: undefined,
  });
  assert.equal(c.size, 224);
  assert.deepEqual(c.mean, [104, 117, 128]);
  assert.equal(c.l2Normalize, false);
  assert.equal(c.layout, 'nchw');
  assert.throws(() => conventionFromFlags({ size: 'big', channels: 'rgb', range: '0-1' }), /flags: .*size/s);
  assert.throws(() => conventionFromFlags({ size: '8', channels: 'rgb', range: '0-1', mean: '1,,2' }), /mean\.1/);
});

test('sidecar: read and validated; unreadable and invalid JSON name the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'conv-'));
  const file = join(dir, 'm.input.json');
  writeFileSync(file, JSON.stringify(IMAGENET));
  assert.equal((await readInputConvention(file)).range, '0-1');
  writeFileSync(file, '{"size": 4,');
  await assert.rejects(readInputConvention(file), new RegExp(`${file}: not valid JSON`));
  await assert.rejects(readInputConvention(join(dir, 'none.json')), /cannot read the input convention/);
  assert.equal(sidecarPath('/m/model.json'), '/m/model.input.json');
  assert.equal(sidecarPath('/m/net.onnx'), '/m/net.input.json');
});

test('pixels to the model space: channel order, range, mean/std (hand-computed)', () => {
  const rgb = Uint8Array.from([255, 0, 51, 10, 20, 30]);
  const c = parseInputConvention(IMAGENET, 't');
  const f = Math.fround;
  const expect = (v: number, ch: number) => f((f(v / 255) - IMAGENET.mean[ch]) / IMAGENET.std[ch]);
  assert.deepEqual(Array.from(toModelSpace(rgb, c)), [
    expect(255, 0),
    expect(0, 1),
    expect(51, 2),
    expect(10, 0),
    expect(20, 1),
    expect(30, 2),
  ]);
  const bgr = parseInputConvention({ size: 4, channels: 'bgr', range: '0-255', mean: [1, 2, 3] }, 't');
  // BGR: channel 0 reads blue. 0..255 = (v/255)*255 in float32 (within an ulp of v).
  assert.deepEqual(Array.from(toModelSpace(rgb, bgr)), [50, -2, 252, 29, 18, 7]);
  // A colour maps by the same affine rule (no byte table: it need not be an integer).
  assert.deepEqual(Array.from(colourInModelSpace([51, 0, 255], bgr)), [254, -2, 48]);
  const back = colourInModelSpace([0.485 * 255, 0.456 * 255, 0.406 * 255], c);
  for (const v of back) assert.ok(Math.abs(v) < 1e-6, `the mean colour maps to 0, got ${v}`);
});

test('toLayout: nchw is the channel-major copy', () => {
  // 1 image 2x2: pixels (c0,c1,c2) = (p, 10+p, 20+p).
  const nhwc = Float32Array.from([0, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23]);
  assert.deepEqual(Array.from(toLayout(nhwc, 1, 2, 'nchw')), [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
  assert.equal(toLayout(nhwc, 1, 2, 'nhwc'), nhwc);
  assert.throws(() => toLayout(nhwc, 2, 2, 'nchw'), /12 values, expected 2 x 2 x 2 x 3/);
});
