/**
 * BGAugment in a training batch (docs/protocol.md sections 4-5), checked on pixels with independent
 * expectations, for both batch builders (trainBatch, which the trainer uses, and the input pool's
 * transformBatch):
 *   - p = 1: every image gets a background (a coin flip would leave about half untouched);
 *   - the mask follows the image's crop and flip: the image's own background never shows;
 *   - the background comes from the pool handed in: pure-background pixels are pool colours.
 * And through the real trainer: BGAugment batches are composited from the val pool it is given,
 * base batches never.
 *
 * The picture: vertical stripes 4 px wide, object (red) and the image's own background (green), with
 * a mask that is 1 exactly on the red stripes. The stripes are not mirror-symmetric, so a mask that
 * missed the flip (or the crop) would sit on green stripes. Resampling is linear in both image and
 * mask, so with the mask aligned the composite's green is at most m(1-m)*255 <= 64 (+ rounding);
 * a misaligned mask lets full green (255) through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecodedItem } from '../../../../lib/data/decodeShards';
import type { RgbImage } from '../../../../lib/image/types';
import { initBackend } from '../../../../lib/ml/backend';
import { transformBatch } from '../../../../lib/ml/input/keyedBatch';
import { trainBatch } from '../../../../lib/ml/train/batches';
import type { TransformConfig } from '../../../../lib/ml/transforms/pipeline';
import { Rng } from '../../../../lib/util/rng';
import { tinyData, tinyTrain } from './tinyTraining';

const CFG: TransformConfig = {
  resizeShort: 40,
  crop: 32,
  scale: [0.16, 1],
  ratio: [0.75, 1.33],
  mean: [104, 117, 128],
};
const SIZE = 40;
const N = 48;

function solid(rgb: [number, number, number], w = 50, h = 44): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) data.set(rgb, p * 3);
  return { width: w, height: h, data };
}

/** Stripe k (4 px) is object when k is 0, 1, 3, 6 or 8 of 10: no mirror image of itself. */
const OBJECT_STRIPES = new Set([0, 1, 3, 6, 8]);
function stripedItem(i: number): DecodedItem {
  const image = new Uint8Array(SIZE * SIZE * 3);
  const mask = new Uint8Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const obj = OBJECT_STRIPES.has(Math.floor(x / 4));
      image.set(obj ? [255, 0, 0] : [0, 255, 0], (y * SIZE + x) * 3);
      mask[y * SIZE + x] = obj ? 255 : 0;
    }
  return {
    id: `s${i}`,
    label: i % 4,
    image: { width: SIZE, height: SIZE, data: image },
    mask: { width: SIZE, height: SIZE, data: mask },
  };
}

const POOL = [solid([0, 0, 255]), solid([0, 0, 180])];
const items = Array.from({ length: N }, (_, i) => stripedItem(i));

/** Pixels of image b as 0..255 RGB (the batch holds BGR minus the mean). */
function rgbPixels(images: Float32Array, b: number): Array<[number, number, number]> {
  const px = CFG.crop * CFG.crop;
  const out: Array<[number, number, number]> = [];
  for (let p = 0; p < px; p++) {
    const o = (b * px + p) * 3;
    out.push([images[o + 2] + CFG.mean[2], images[o + 1] + CFG.mean[1], images[o] + CFG.mean[0]]);
  }
  return out;
}

const builders: Record<string, () => Float32Array> = {
  trainBatch: () => trainBatch(items, CFG, Rng.fromSeed('bgaugment-test'), POOL).images,
  transformBatch: () =>
    transformBatch(
      {
        kind: 'train',
        source: 'train',
        indices: items.map((_, i) => i),
        streams: { seed: 3, split: 'train', epoch: 1, firstPosition: 0 },
        background: 'val',
      },
      items,
      CFG,
      POOL,
    ).images,
};

for (const [name, build] of Object.entries(builders)) {
  test(`${name}: every image is composited (p = 1), the mask follows crop and flip, backgrounds from the pool`, () => {
    const images = build();
    const poolBlues = new Set<number>();
    let flipped = 0;
    for (let b = 0; b < N; b++) {
      const pixels = rgbPixels(images, b);
      const maxGreen = Math.max(...pixels.map((p) => p[1]));
      assert.ok(maxGreen <= 66, `image ${b}: green ${maxGreen.toFixed(1)} shows through: the mask missed the image`);
      const background = pixels.filter((p) => p[0] < 2 && p[1] < 2);
      assert.ok(background.length > 0, `image ${b} has no background pixel: not composited`);
      for (const p of background) {
        const blue = Math.round(p[2]);
        assert.ok(blue === 255 || blue === 180, `image ${b}: background blue ${p[2]} is no pool colour`);
        poolBlues.add(blue);
      }
      // Column 0 of the crop: red on an unflipped image for most crops; count the flipped-looking ones.
      if (pixels[0][0] < 128) flipped++;
    }
    assert.deepEqual([...poolBlues].sort(), [180, 255], 'both pool backgrounds drawn');
    assert.ok(flipped > 0 && flipped < N, `flips and crops vary (${flipped} of ${N})`);
  });
}

test('the trainer composites BGAugment batches from the val pool it is given, and base batches never', async () => {
  await initBackend();
  const data = await tinyData();
  const magenta = [solid([255, 0, 255], 40, 40)];
  const withPool = { ...data, backgrounds: magenta };
  const count = async (mode: 'base' | 'bgaugment') => {
    const { calls } = await tinyTrain(
      withPool,
      { dataset: 'synthetic', loss: 'contrastive', mode, seed: 7 },
      {
        maxEpochs: 1,
        validateBeforeTraining: false,
      },
    );
    const trainCalls = calls.filter((c) => c.batch === 16);
    assert.equal(trainCalls.length, 2, 'two training steps');
    let images = 0;
    let withMagenta = 0;
    for (const c of trainCalls)
      for (let b = 0; b < c.batch; b++) {
        images++;
        const px = 32 * 32;
        let found = false;
        for (let p = 0; p < px && !found; p++) {
          const o = (b * px + p) * 3;
          // BGR minus mean: magenta is B 255, G 0, R 255.
          found = c.pixels[o] === 255 - 104 && c.pixels[o + 1] === -117 && c.pixels[o + 2] === 255 - 128;
        }
        if (found) withMagenta++;
      }
    return withMagenta / images;
  };
  assert.equal(await count('base'), 0, 'a base batch shows the pool');
  const aug = await count('bgaugment');
  assert.ok(aug > 0.5, `only ${(aug * 100).toFixed(0)}% of BGAugment images show the val pool`);
});
