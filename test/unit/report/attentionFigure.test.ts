import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { renderAttentionFigure } from '../../../lib/report/attentionFigure';

const image = { width: 12, height: 10, data: new Uint8Array(12 * 10 * 3).fill(200) };

test('the figure has one row per image with image, base map and BGAugment map panels', async () => {
  const size = 8;
  const rows = [
    {
      image,
      baseMap: new Float32Array(size * size).fill(1),
      bgaugmentMap: new Float32Array(size * size).fill(0),
      size,
    },
    {
      image,
      baseMap: new Float32Array(size * size).fill(0),
      bgaugmentMap: new Float32Array(size * size).fill(1),
      size,
    },
  ];
  const png = await renderAttentionFigure(rows, { cellSize: 16, overlay: false, headers: null });
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 3 * 16 + 4 * 4);
  assert.equal(info.height, 2 * (16 + 4) + 4);
  const px = (x: number, y: number) => [
    ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
  ];
  const centre = (col: number, row: number) => px(4 + col * 20 + 8, 4 + row * 20 + 8);
  // viridis ends: 0 -> (68, 1, 84), 1 -> (253, 231, 37) (matplotlib)
  assert.deepEqual(centre(0, 0), [200, 200, 200]);
  assert.deepEqual(centre(1, 0), [253, 231, 37]);
  assert.deepEqual(centre(2, 0), [68, 1, 84]);
  assert.deepEqual(centre(1, 1), [68, 1, 84]);
  assert.deepEqual(centre(2, 1), [253, 231, 37]);
  assert.deepEqual(px(1, 1), [255, 255, 255], 'white padding');
});

test('with overlay and headers the figure grows a header strip; bad maps are rejected', async () => {
  const size = 4;
  const png = await renderAttentionFigure(
    [{ image, baseMap: new Float32Array(16), bgaugmentMap: new Float32Array(16), size }],
    { cellSize: 20 },
  );
  const meta = await sharp(png).metadata();
  assert.equal(meta.height, 24 + 20 + 8);
  await assert.rejects(
    renderAttentionFigure([{ image, baseMap: new Float32Array(15), bgaugmentMap: new Float32Array(16), size }]),
    /row 0: baseMap has 15 values, expected 4x4/,
  );
  await assert.rejects(renderAttentionFigure([]), /no rows/);
});
