import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runMaskQuality } from '../../../cli/commands/maskQuality';
import { scoreMask } from '../../../lib/data/maskQuality/maskQuality';
import { maskQualityOfFolder } from '../../../lib/data/maskQuality/gtMaskFolder';
import { SHARED_DATA, SHARED_DATA_MISSING } from '../../helpers/sharedData';

test('scoreMask: hand-computed IoU and overlap, threshold at 128 inclusive', () => {
  // gt = {0,1,2}, pred = {1,2,3} (127 is background, 128 foreground)
  const gt = { width: 5, height: 1, data: Uint8Array.from([255, 128, 200, 127, 0]) };
  const pred = { width: 5, height: 1, data: Uint8Array.from([0, 255, 128, 130, 10]) };
  const s = scoreMask(gt, pred);
  assert.equal(s.iou, 2 / 4);
  assert.equal(s.overlap, 2 / 3);
  assert.throws(
    () => scoreMask(gt, { width: 4, height: 1, data: new Uint8Array(4) }, 'x/7'),
    /x\/7: ground truth is 5x1 but the predicted mask is 4x1/,
  );
});

test(
  'bgbias mask-quality <gt_masks> --json equals the numbers computed independently with PIL + numpy',
  { skip: SHARED_DATA_MISSING },
  async () => {
    const expected = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'fixtures', 'data', 'mask_quality_expected.json'), 'utf8'),
    );
    let printed = '';
    await runMaskQuality(join(SHARED_DATA, 'gt_masks'), { json: true, print: (s) => (printed = s) });
    const got = JSON.parse(printed);
    assert.deepEqual(Object.keys(got), ['cars196', 'cub200', 'sop']);
    for (const ds of Object.keys(expected)) {
      assert.equal(got[ds].images, 20);
      for (const m of ['iou', 'overlap']) {
        for (const k of ['mean', 'std', 'median', 'q25', 'q75', 'min', 'max']) {
          assert.ok(
            Math.abs(got[ds][m][k] - expected[ds][m][k]) < 1e-12,
            `${ds} ${m} ${k}: ${got[ds][m][k]} vs ${expected[ds][m][k]}`,
          );
        }
      }
      for (const p of got[ds].perImage)
        assert.ok(Math.abs(p.iou - expected[ds].perImage[p.id].iou) < 1e-15, `${ds}/${p.id}`);
    }
  },
);

test('mask-quality names a missing automatic mask and a size mismatch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bgmq-'));
  mkdirSync(join(dir, 'cub200'));
  const png = (w: number, h: number) =>
    sharp(Buffer.alloc(w * h, 255), { raw: { width: w, height: h, channels: 1 } })
      .png()
      .toBuffer();
  writeFileSync(join(dir, 'cub200', '5_mask.png'), await png(4, 3));
  await assert.rejects(maskQualityOfFolder(dir), /5_mask\.png has no automatic mask 5_mask_pred\.png/);
  writeFileSync(join(dir, 'cub200', '5_mask_pred.png'), await png(3, 4));
  await assert.rejects(maskQualityOfFolder(dir), /cub200\/5: ground truth is 4x3 but the predicted mask is 3x4/);
});

test('an all-zero hand-labelled mask is an error naming the file; unpaired automatic masks are reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bgmq-'));
  mkdirSync(join(dir, 'cars196'));
  const png = (value: number) =>
    sharp(Buffer.alloc(12, value), { raw: { width: 4, height: 3, channels: 1 } })
      .png()
      .toBuffer();
  const write = async (name: string, value: number) => writeFileSync(join(dir, 'cars196', name), await png(value));
  await write('1_mask.png', 255);
  await write('1_mask_pred.png', 255);
  for (const i of [7, 8, 9, 10, 11, 12]) await write(`${i}_mask_pred.png`, 255);
  const warnings: string[] = [];
  const r = await maskQualityOfFolder(dir, { warn: (l) => warnings.push(l) });
  assert.equal(r.cars196.images, 1);
  assert.deepEqual(warnings, [
    `mask quality: 6 automatic mask(s) in ${join(dir, 'cars196')} have no hand-labelled <idx>_mask.png and are not ` +
      'scored: 10_mask_pred.png, 11_mask_pred.png, 12_mask_pred.png, 7_mask_pred.png, 8_mask_pred.png, ...',
  ]);
  await write('2_mask.png', 127); // below the threshold everywhere: no foreground
  await write('2_mask_pred.png', 255);
  await assert.rejects(
    maskQualityOfFolder(dir),
    (e: Error) =>
      e.name === 'SchemaError' &&
      e.message ===
        `mask quality: the hand-labelled mask ${join(dir, 'cars196', '2_mask.png')} has no foreground ` +
          '(no pixel >= 128), so it cannot be scored',
  );
});
