import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PIL_RESAMPLE_WASM_BASE64 } from '../../../../lib/image/pilResampleWasm';
import { resamplerEngine } from '../../../../lib/image/pilResize';
import { compileWat } from '../../../../scripts/build-wasm';

test('the committed WebAssembly is pilResample.wat compiled (rerun scripts/build-wasm.ts after editing it)', async () => {
  const compiled = await compileWat();
  assert.ok(
    Buffer.from(PIL_RESAMPLE_WASM_BASE64, 'base64').equals(Buffer.from(compiled)),
    'pilResampleWasm.ts is stale: node --import tsx scripts/build-wasm.ts',
  );
});

test('Node runs the SIMD resampler (the JavaScript loops are only the fallback)', () => {
  assert.equal(resamplerEngine(), 'wasm');
});
