import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pilResize, resamplerEngine, setResamplerEngine } from '../../../lib/image/pilResize';
import { resizedSize } from '../../../lib/image/resizedSize';
import { ENGINES } from '../ml/transforms/fixtureIo';

const DEFAULT_ENGINE = resamplerEngine();

interface Golden {
  mode: 'RGB' | 'L';
  in: [number, number];
  out: [number, number];
  filter: 'bilinear' | 'lanczos';
  input_b64: string | null;
  output_sha256: string;
  output_b64: string | null;
}
const goldens: Golden[] = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'fixtures', 'data', 'u2net', 'pil_resize.json'), 'utf8'),
);

// The fixture script's integer formula for its large inputs.
function formulaImage(w: number, h: number, ch: number): Uint8Array {
  const a = new Uint8Array(w * h * ch);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < ch; c++) a[(y * w + x) * ch + c] = Math.floor((x * x * 3 + y * 5 + c * 71 + x * y) / 3) % 256;
  return a;
}

for (const [g, engine] of goldens.flatMap((g) => ENGINES.map((e) => [g, e] as const))) {
  test(`pilResize ${g.mode} ${g.in.join('x')} -> ${g.out.join('x')} ${g.filter} equals PIL 9.4 byte for byte [${engine}]`, () => {
    setResamplerEngine(engine);
    const ch = g.mode === 'RGB' ? 3 : 1;
    const input = g.input_b64 ? new Uint8Array(Buffer.from(g.input_b64, 'base64')) : formulaImage(g.in[0], g.in[1], ch);
    const out = pilResize({ width: g.in[0], height: g.in[1], data: input }, ch, g.out[0], g.out[1], g.filter);
    if (g.output_b64) {
      const want = Buffer.from(g.output_b64, 'base64');
      let diff = 0;
      for (let i = 0; i < want.length; i++) if (want[i] !== out[i]) diff++;
      assert.equal(diff, 0, `${diff} of ${want.length} bytes differ`);
    }
    assert.equal(createHash('sha256').update(out).digest('hex'), g.output_sha256);
    setResamplerEngine(DEFAULT_ENGINE);
  });
}

test('resizedSize follows torchvision Resize(int): short side = size, long side truncated', () => {
  assert.deepEqual(resizedSize(640, 427, 256), { width: 383, height: 256 }); // 256*640/427 = 383.7
  assert.deepEqual(resizedSize(300, 500, 256), { width: 256, height: 426 }); // 256*500/300 = 426.67
  assert.deepEqual(resizedSize(256, 256, 256), { width: 256, height: 256 });
});
