/**
 * u2net with rembg 2.0.19's processing, on a tiny ONNX model of u2net's signature
 * (scripts/fixtures/gen_tiny_u2net.py). Expected tensors and masks were computed there with PIL +
 * numpy following rembg's source; here the real onnxruntime-node path must reproduce them exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRgb } from '../../../lib/image/decode';
import { u2netInput, u2netResized } from '../../../lib/data/masks/u2netProcessing';
import { U2netSession } from '../../../lib/data/masks/u2netSession';

const DIR = join(__dirname, '..', '..', 'fixtures', 'data', 'u2net');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));
const sha = (b: ArrayBufferView) =>
  createHash('sha256')
    .update(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
    .digest('hex');

for (const c of expected.cases) {
  test(`u2net pre-processing of ${c.file} equals rembg's tensor bit for bit`, async () => {
    const img = await readRgb(join(DIR, c.file));
    assert.equal(sha(u2netResized(img)), c.lanczos320_sha256, 'PIL Lanczos 320x320');
    const t = u2netInput(img);
    for (const [i, v] of Object.entries(c.tensor_samples as Record<string, number>))
      assert.equal(t[Number(i)], v, `tensor[${i}]`);
    assert.equal(sha(t), c.tensor_sha256);
  });
}

test("u2net session: batched inference through onnxruntime-node gives rembg's post-processed masks", async () => {
  const session = await U2netSession.load(join(DIR, 'tiny_u2net.onnx'));
  try {
    const imgs = await Promise.all(expected.cases.map((c: { file: string }) => readRgb(join(DIR, c.file))));
    const masks = await session.predict(imgs);
    expected.cases.forEach((c: { file: string; width: number; height: number; mask_b64: string }, k: number) => {
      assert.equal(masks[k].width, c.width);
      assert.equal(masks[k].height, c.height);
      assert.deepEqual(Buffer.from(masks[k].data), Buffer.from(c.mask_b64, 'base64'), c.file);
    });
  } finally {
    await session.release();
  }
});

test('u2net session rejects a model that is not u2net-shaped, naming the file', async () => {
  await assert.rejects(U2netSession.load(join(DIR, 'expected.json')), /cannot load the u2net model .*expected\.json/);
});
