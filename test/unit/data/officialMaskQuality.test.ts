import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskQualityAgainstOfficial } from '../../../lib/data/maskQuality/officialMasks';
import { maskPathFor, writeGrayPng } from '../../../lib/data/masks/computeMasks';

test('mask quality against official masks: hand-computed IoU / overlap over the items that have one', async () => {
  const root = mkdtempSync(join(tmpdir(), 'bgoff-'));
  const maskDir = join(root, 'masks');
  const m = (v: number[]) => ({ width: 2, height: 2, data: Uint8Array.from(v) });
  // a: gt {0,1}, pred {0}: IoU 1/2, overlap 1/2.  b: gt {0,1,2,3}, pred {0,1,2,3}: 1, 1.
  await writeGrayPng(join(root, 'seg/a.png'), m([255, 200, 0, 0]));
  await writeGrayPng(maskPathFor(maskDir, 'img/a.jpg'), m([128, 127, 0, 0]));
  await writeGrayPng(join(root, 'seg/b.png'), m([255, 255, 255, 255]));
  await writeGrayPng(maskPathFor(maskDir, 'img/b.jpg'), m([200, 200, 200, 200]));
  const index = {
    dataset: 'cub200',
    numTrainClasses: 75,
    splits: {
      train: [{ path: 'img/a.jpg', label: 0, officialMask: 'seg/a.png' }],
      val: [{ path: 'img/c.jpg', label: 80 }],
      test: [{ path: 'img/b.jpg', label: 150, officialMask: 'seg/b.png' }],
    },
  };
  const r = await maskQualityAgainstOfficial(index, root, maskDir);
  assert.equal(r.images, 2);
  assert.equal(r.iou.mean, 0.75);
  assert.equal(r.iou.std, 0.25);
  assert.equal(r.overlap.min, 0.5);
  await assert.rejects(
    maskQualityAgainstOfficial({ ...index, splits: { train: [], val: [], test: [] } }, root, maskDir),
    /no item has an official mask/,
  );
});
