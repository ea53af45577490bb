/**
 * Mask quality of this pipeline's own masks (`bgbias mask-quality --model`): each hand-labelled
 * image's mask is computed by the masker and scored against its own hand label and its own published
 * rembg mask. A masker that returns the hand label must score IoU 1 against the hand labels (so the
 * files are paired right), and its scores against the published masks must be scoreMask's of the pair;
 * through the CLI with the stand-in u2net ONNX model (test/fixtures/data/u2net), the rows must be
 * what that model's masks score when computed here directly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runMaskQuality } from '../../../cli/commands/maskQuality';
import type { GrayImage, RgbImage } from '../../../lib/image/types';
import { readGray, readRgb } from '../../../lib/image/decode';
import { scoreMask } from '../../../lib/data/maskQuality/maskQuality';
import { ownMaskQualityOfFolder } from '../../../lib/data/maskQuality/ownMasks';
import { U2netSession } from '../../../lib/data/masks/u2netSession';
import { Rng } from '../../../lib/util/rng';

const MODEL = join(__dirname, '..', '..', 'fixtures', 'data', 'u2net', 'tiny_u2net.onnx');
const IDS = ['12', '3', '40'];
const SIZES: Record<string, [number, number]> = { '12': [40, 30], '3': [36, 44], '40': [50, 50] };
let dir: string;

function disc(w: number, h: number, cx: number, cy: number, r: number): Buffer {
  const d = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) d[y * w + x] = (x - cx) ** 2 + (y - cy) ** 2 < r * r ? 255 : 0;
  return d;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bgbias-own-masks-'));
  const rng = Rng.fromSeed('own-masks');
  for (const ds of ['toy']) {
    mkdirSync(join(dir, ds));
    for (const id of IDS) {
      const [w, h] = SIZES[id];
      const rgb = Buffer.from(Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rng.uniform() * 256)));
      await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toFile(join(dir, ds, `${id}_image.png`));
      const gray = (b: Buffer) => sharp(b, { raw: { width: w, height: h, channels: 1 } }).png();
      await gray(disc(w, h, w / 2, h / 2, w / 3)).toFile(join(dir, ds, `${id}_mask.png`));
      await gray(disc(w, h, w / 2 + 3, h / 2, w / 3)).toFile(join(dir, ds, `${id}_mask_pred.png`));
    }
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a masker returning the hand label scores IoU 1 against it; against the rembg masks, their pair scores', async () => {
  const hand = new Map<string, GrayImage>();
  for (const id of IDS) hand.set(SIZES[id].join('x'), await readGray(join(dir, 'toy', `${id}_mask.png`)));
  const masker = { predict: async (imgs: readonly RgbImage[]) => imgs.map((i) => hand.get(`${i.width}x${i.height}`)!) };
  const q = (await ownMaskQualityOfFolder(dir, masker)).toy;
  assert.deepEqual(
    q.vsHand.perImage.map((s) => [s.id, s.iou, s.overlap]),
    [
      ['3', 1, 1],
      ['12', 1, 1],
      ['40', 1, 1],
    ],
  );
  for (const s of q.vsPublished.perImage) {
    const expected = scoreMask(
      await readGray(join(dir, 'toy', `${s.id}_mask_pred.png`)),
      await readGray(join(dir, 'toy', `${s.id}_mask.png`)),
    );
    assert.deepEqual({ iou: s.iou, overlap: s.overlap }, expected);
    assert.ok(s.iou < 1, 'the published masks differ from the hand labels here');
  }
});

test("bgbias mask-quality --model (the stand-in u2net): our rows are that model's masks, scored", async () => {
  let printed = '';
  const result = await runMaskQuality(dir, { model: MODEL, print: (s) => (printed = s) });
  assert.deepEqual(Object.keys(result).sort(), ['toy', 'toy ours', 'toy ours-rembg']);
  assert.match(printed, /toy ours-rembg/);
  const session = await U2netSession.load(MODEL);
  try {
    for (const [row, file] of [
      ['toy ours', 'mask'],
      ['toy ours-rembg', 'mask_pred'],
    ] as const) {
      for (const s of result[row].perImage) {
        const [ours] = await session.predict([await readRgb(join(dir, 'toy', `${s.id}_image.png`))]);
        const expected = scoreMask(await readGray(join(dir, 'toy', `${s.id}_${file}.png`)), ours);
        assert.deepEqual({ iou: s.iou, overlap: s.overlap }, expected, `${row} ${s.id}`);
      }
    }
  } finally {
    await session.release();
  }
  await assert.rejects(
    runMaskQuality(dir, { model: join(dir, 'missing.onnx'), print: () => undefined }),
    /cannot load the u2net model/,
  );
});
