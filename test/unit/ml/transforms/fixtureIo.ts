/** Helpers to read the base64 arrays of test/fixtures/transforms/*.json. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resamplerEngine, setResamplerEngine } from '../../../../lib/image/pilResize';

export function loadTransformFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '../../../fixtures/transforms', name), 'utf8')) as T;
}

export function bytes(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

export function floats(b64: string): Float32Array {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** A TransformRng that replays a recorded stream of uniforms, with Rng.int's mapping. */
export function replay(values: number[]): { uniform(): number; int(lo: number, hi: number): number; used(): number } {
  let k = 0;
  const next = (): number => {
    if (k >= values.length) throw new Error(`replayed stream exhausted after ${k} draws`);
    return values[k++];
  };
  return {
    uniform: next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    used: () => k,
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Both resampler implementations (WebAssembly SIMD and the JavaScript fallback) must meet every golden. */
export const ENGINES = ['wasm', 'js'] as const;

/** Runs `fn` with the resampler set to `engine`, restoring the default afterwards. */
export function withEngine(engine: (typeof ENGINES)[number], fn: () => void): void {
  const before = resamplerEngine();
  setResamplerEngine(engine);
  try {
    fn();
  } finally {
    setResamplerEngine(before);
  }
}
