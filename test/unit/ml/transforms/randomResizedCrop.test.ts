import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomResizedCropParams } from '../../../../lib/ml/transforms/randomResizedCrop';
import { pythonRound } from '../../../../lib/ml/transforms/pythonRound';
import { Rng } from '../../../../lib/util/rng';
import { loadTransformFixture, replay } from './fixtureIo';

const fx = loadTransformFixture('transforms.json');

test('get_params equals torchvision 0.14 on the same random stream, fallback included', () => {
  let fallbacks = 0;
  for (const c of fx.getParams) {
    const r = replay(c.uniforms);
    const p = randomResizedCropParams(c.width, c.height, r, [0.16, 1], [0.75, 1.33]);
    const where = `${c.width}x${c.height} stream ${JSON.stringify(c.uniforms.slice(0, 4))}`;
    assert.deepEqual(p, { top: c.top, left: c.left, height: c.height_out, width: c.width_out }, where);
    assert.equal(r.used(), c.used, `draws consumed for ${where}`);
    if (c.used === 20 && (c.width_out === c.width || c.height_out === c.height)) fallbacks++;
  }
  assert.ok(fallbacks >= 10, `fixture must exercise the centre-crop fallback (got ${fallbacks})`);
});

test('params stay inside the image for many seeded draws', () => {
  const rng = Rng.fromSeed('rrc');
  for (let n = 0; n < 2000; n++) {
    const w = 1 + rng.int(0, 400);
    const h = 1 + rng.int(0, 400);
    const p = randomResizedCropParams(w, h, rng);
    assert.ok(p.width >= 1 && p.height >= 1 && p.left >= 0 && p.top >= 0, JSON.stringify(p));
    assert.ok(p.left + p.width <= w && p.top + p.height <= h, `${JSON.stringify(p)} in ${w}x${h}`);
  }
});

test('pythonRound rounds half to even like Python 3', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001, 7].map(pythonRound), [0, 2, 2, 0, -2, 2, 3, 7]);
});

test('bad sizes are rejected with a message', () => {
  assert.throws(() => randomResizedCropParams(0, 5, Rng.fromSeed(1)), /invalid image size 0x5/);
  assert.throws(() => randomResizedCropParams(5, 5, Rng.fromSeed(1), [1, 0.5]), /scale/);
});
