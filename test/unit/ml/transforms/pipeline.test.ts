import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backgroundTransform,
  centerCropBox,
  evalTransform,
  PAPER_TRANSFORM,
  trainTransform,
  type TransformConfig,
} from '../../../../lib/ml/transforms/pipeline';
import { blackImagePixels } from '../../../../lib/ml/transforms/blackImage';
import { Rng } from '../../../../lib/util/rng';
import { bytes, ENGINES, floats, loadTransformFixture, maxAbsDiff, replay, withEngine } from './fixtureIo';

const fx = loadTransformFixture('pipelines.json');
const fxMain = loadTransformFixture('transforms.json');
const cfg: TransformConfig = fx.config;

function sample(name: string) {
  const i = fx.images[name];
  return {
    img: { width: i.width, height: i.height, data: bytes(i.rgb) },
    mask: { width: i.width, height: i.height, data: bytes(i.mask) },
  };
}

// Tolerance: none. The pixels are Pillow-exact bytes, and the only float work is the reference's own
// float32 to_tensor (v/255) * 255 - mean, which we reproduce operation for operation.
for (const engine of ENGINES) {
  test(`train transform equals the reference TrainTransform on the same random stream (image and mask) [${engine}]`, () =>
    withEngine(engine, () => {
      const cases = fx.pipelines.filter((p: any) => p.kind === 'train');
      assert.ok(
        cases.some((c: any) => c.flipped) && cases.some((c: any) => !c.flipped),
        'fixture covers both flip outcomes',
      );
      for (const c of cases) {
        const { img, mask } = sample(c.image);
        const r = replay(c.uniforms);
        const out = trainTransform(img, mask, cfg, r);
        assert.equal(r.used(), c.used, 'random draws consumed');
        assert.ok(
          maxAbsDiff(out.image, floats(c.out)) === 0,
          `image ${c.image} params ${c.params}: ${maxAbsDiff(out.image, floats(c.out))}`,
        );
        assert.ok(maxAbsDiff(out.mask!, floats(c.mask)) === 0, `mask ${c.image} params ${c.params}`);
      }
    }));
}

for (const engine of ENGINES) {
  test(`eval transform equals the reference ValTransform (image and mask) [${engine}]`, () =>
    withEngine(engine, () => {
      for (const c of fx.pipelines.filter((p: any) => p.kind === 'eval')) {
        const { img, mask } = sample(c.image);
        const out = evalTransform(img, mask, cfg);
        assert.equal(out.image.length, cfg.crop * cfg.crop * 3);
        assert.ok(maxAbsDiff(out.image, floats(c.out)) === 0, `image ${c.image}`);
        assert.ok(maxAbsDiff(out.mask!, floats(c.mask)) === 0, `mask ${c.image}`);
      }
    }));
}

test('centre crop offsets follow torchvision (half to even)', () => {
  for (const c of fxMain.centerCrop) {
    const b = centerCropBox(c.width, c.height, c.crop);
    assert.deepEqual([b.left, b.top], [c.left, c.top], `${c.width}x${c.height} crop ${c.crop}`);
  }
});

test('black 500x500 image after the paper val transform is -mean everywhere', () => {
  const px = blackImagePixels(PAPER_TRANSFORM);
  assert.equal(
    px.length,
    fxMain.black.shape.reduce((a: number, b: number) => a * b, 1),
  );
  for (let i = 0; i < px.length; i += 3) {
    assert.deepEqual([px[i], px[i + 1], px[i + 2]], fxMain.black.pixel);
  }
});

test('background transform draws a fresh crop per call and has the crop size', () => {
  const { img } = sample('cub');
  const rng = Rng.fromSeed('bg');
  const a = backgroundTransform(img, cfg, rng);
  const b = backgroundTransform(img, cfg, rng);
  assert.equal(a.length, cfg.crop * cfg.crop * 3);
  assert.ok(maxAbsDiff(a, b) > 0, 'two draws should differ');
});

test('bad inputs are named', () => {
  const { img, mask } = sample('cub');
  assert.throws(() => evalTransform(img, { ...mask, width: 3 }, cfg), /mask is 3x40 but its image is 60x40/);
  assert.throws(() => evalTransform(img, undefined, { ...cfg, resizeShort: 10 }), /resizeShort >= crop/);
  assert.throws(() => evalTransform({ ...img, data: img.data.subarray(1) }, undefined, cfg), /expected 60x40x3/);
});
