import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pilResizeBox } from '../../../../lib/image/pilResize';
import { resizedSize } from '../../../../lib/image/resizedSize';
import { resizeShorterSide } from '../../../../lib/ml/transforms/pipeline';
import { bytes, ENGINES, loadTransformFixture, withEngine } from './fixtureIo';

const fx = loadTransformFixture('transforms.json');

function source(name: string): { width: number; height: number; data: Uint8Array; channels: 1 | 3 } {
  const isMask = name.endsWith('_mask');
  const img = fx.images[isMask ? name.slice(0, -5) : name];
  return { width: img.width, height: img.height, data: bytes(isMask ? img.mask : img.rgb), channels: isMask ? 1 : 3 };
}

// Tolerance: none. The port reproduces Pillow's fixed-point arithmetic, so every byte must be equal.
for (const engine of ENGINES) {
  test(`resize of the shorter side equals Pillow byte for byte (down- and upscaling, RGB and L) [${engine}]`, () =>
    withEngine(engine, () => {
      const cases = fx.pil.filter((c: any) => c.op === 'resizeShort');
      assert.ok(cases.length >= 9);
      for (const c of cases) {
        const src = source(c.image);
        assert.deepEqual(resizedSize(src.width, src.height, c.size), { width: c.width, height: c.height });
        const out = resizeShorterSide({ width: src.width, height: src.height, data: src.data }, c.size, src.channels);
        assert.equal(out.width, c.width);
        assert.equal(out.height, c.height);
        assert.deepEqual(Buffer.from(out.data), Buffer.from(bytes(c.data)), `${c.image} resized to ${c.size}`);
      }
    }));
}

for (const engine of ENGINES) {
  test(`crop + resize equals Pillow byte for byte [${engine}]`, () =>
    withEngine(engine, () => {
      const cases = fx.pil.filter((c: any) => c.op === 'resizedCrop');
      assert.ok(cases.length >= 18);
      for (const c of cases) {
        const src = source(c.image);
        const out = pilResizeBox(
          src.data,
          src.width,
          src.height,
          src.channels,
          { left: c.left, top: c.top, width: c.width, height: c.height },
          c.size,
          c.size,
        );
        assert.deepEqual(
          Buffer.from(out),
          Buffer.from(bytes(c.data)),
          `${c.image} crop ${JSON.stringify(c)}`.slice(0, 200),
        );
      }
    }));
}

test('boxes outside the image and wrong buffer sizes are rejected', () => {
  const data = new Uint8Array(4 * 4 * 3);
  assert.throws(
    () => pilResizeBox(data, 4, 4, 3, { left: 2, top: 0, width: 3, height: 2 }, 2, 2),
    /not inside the 4x4 image/,
  );
  assert.throws(() => pilResizeBox(data, 5, 4, 3, { left: 0, top: 0, width: 3, height: 2 }, 2, 2), /data length 48/);
});
