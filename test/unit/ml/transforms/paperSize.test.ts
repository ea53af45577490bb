import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { pilCoefficients, pilResizeBox } from '../../../../lib/image/pilResize';
import {
  backgroundCompositeInto,
  evalTransform,
  trainTransform,
  trainTransformInto,
  type TransformConfig,
} from '../../../../lib/ml/transforms/pipeline';
import { ENGINES, loadTransformFixture, replay, withEngine } from './fixtureIo';

// Paper-sized inputs (256 short side -> 227) from the fixture script's integer formulas; expected
// values are sha256 digests of PIL / torch's bytes (scripts/fixtures/gen_paper_transforms.py).
// Tolerance: none, for bytes and for floats alike.
const fx = loadTransformFixture('paper_size.json');
const cfg: TransformConfig = fx.config;

const FORMULAS: Record<string, (x: number, y: number, c: number) => number> = {
  image: (x, y, c) => Math.floor((x * x * 3 + y * y * 7 + y * 5 + c * 71 + x * y) / 3) % 256,
  mask: (x, y) => Math.floor((x * y + 3 * y * y + x * 11) / 5) % 256,
  background: (x, y, c) => Math.floor((x * x + 5 * y * y + c * 53 + 2 * x * y) / 2) % 256,
};

function formulaImage(formula: string, width: number, height: number, channels: 1 | 3) {
  const data = new Uint8Array(width * height * channels);
  const f = FORMULAS[formula];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = f(x, y, c);
  return { width, height, data };
}

const sources = Object.fromEntries(
  Object.entries(fx.sources as Record<string, { width: number; height: number }>).map(([name, s]) => [
    name,
    {
      rgb: formulaImage(name === 'background' ? 'background' : 'image', s.width, s.height, 3),
      mask: formulaImage('mask', s.width, s.height, 1),
    },
  ]),
);

const sha = (a: Uint8Array | Float32Array) =>
  createHash('sha256')
    .update(Buffer.from(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

for (const engine of ENGINES) {
  test(`crop + resize to 227 equals Pillow byte for byte at the paper sizes (RGB and L, 2-4 taps, skipped passes) [${engine}]`, () =>
    withEngine(engine, () => {
      const taps = new Set<number>();
      for (const c of fx.crops) {
        const s = sources[c.image];
        const box = { left: c.left, top: c.top, width: c.width, height: c.height };
        const rgb = pilResizeBox(s.rgb.data, s.rgb.width, s.rgb.height, 3, box, 227, 227);
        const gray = pilResizeBox(s.mask.data, s.mask.width, s.mask.height, 1, box, 227, 227);
        assert.equal(sha(rgb), c.rgb_sha256, `RGB ${c.image} ${JSON.stringify(box)}`);
        assert.equal(sha(gray), c.mask_sha256, `L ${c.image} ${JSON.stringify(box)}`);
        for (const n of [c.width, c.height]) if (n !== 227) taps.add(pilCoefficients(n, 227, 'bilinear').taps);
      }
      // The resampler has unrolled loops for 2, 3 and 4 taps (the general one, for more, is reached by the
      // small goldens of pilResize.test.ts and the Lanczos ones of test/unit/data/pilResize.test.ts).
      for (const t of [2, 3, 4]) assert.ok(taps.has(t), `no case with ${t} taps (${[...taps]})`);
      assert.ok(fx.crops.some((c: any) => c.width === 227) && fx.crops.some((c: any) => c.height === 227));
    }));
}

for (const engine of ENGINES) {
  test(`train transform equals the reference TrainTransform at the paper size (image and mask, both flips) [${engine}]`, () =>
    withEngine(engine, () => {
      assert.ok(fx.train.some((c: any) => c.flipped) && fx.train.some((c: any) => !c.flipped));
      for (const c of fx.train) {
        const s = sources[c.image];
        const r = replay(c.uniforms);
        const out = trainTransform(s.rgb, s.mask, cfg, r);
        assert.equal(r.used(), c.uniforms.length);
        assert.equal(sha(out.image), c.image_sha256, `image ${c.image} ${c.params}`);
        assert.equal(sha(out.mask!), c.mask_sha256, `mask ${c.image} ${c.params}`);
      }
    }));
}

for (const engine of ENGINES) {
  test(`BGAugment composite (background through the train transform) equals the reference float32 bytes [${engine}]`, () =>
    withEngine(engine, () => {
      assert.ok(fx.bgaugment.some((c: any) => c.bg_flipped) && fx.bgaugment.some((c: any) => !c.bg_flipped));
      for (const c of fx.bgaugment) {
        const s = sources[c.image];
        const target = { image: new Float32Array(227 * 227 * 3), imageOffset: 0, mask: new Float32Array(227 * 227) };
        trainTransformInto(s.rgb, s.mask, cfg, replay(c.uniforms), target);
        const bgRng = replay(c.bg_uniforms);
        backgroundCompositeInto(sources.background.rgb, cfg, bgRng, target);
        assert.equal(bgRng.used(), c.bg_uniforms.length);
        assert.equal(sha(target.image), c.sha256, `${c.image} with background crop ${c.bg_params}`);
        // The one-pass route (transform and composite together, as the batches run it): a pool of one
        // background, whose pick draws nothing, so the replayed streams are the reference's.
        const oneBg = replay(c.bg_uniforms);
        const pool = [sources.background.rgb];
        const together = { image: new Float32Array(227 * 227 * 3), imageOffset: 0 };
        trainTransformInto(s.rgb, s.mask, cfg, replay(c.uniforms), together, {
          pool,
          rng: { ...oneBg, pick: <T>(xs: readonly T[]) => xs[0] },
        });
        assert.equal(sha(together.image), c.sha256, `${c.image} in one pass`);
      }
    }));
}

for (const engine of ENGINES) {
  test(`eval transform equals the reference ValTransform at the paper size [${engine}]`, () =>
    withEngine(engine, () => {
      for (const c of fx.eval) {
        const s = sources[c.image];
        const out = evalTransform(s.rgb, s.mask, cfg);
        assert.equal(sha(out.image), c.image_sha256, c.image);
        assert.equal(sha(out.mask!), c.mask_sha256, c.image);
      }
    }));
}
