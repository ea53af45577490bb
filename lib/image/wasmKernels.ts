/**
 * The transforms' WebAssembly module (pilResample.wat, compiled into pilResampleWasm.ts): Pillow's
 * resampling passes in SIMD and the float stage (normalise, flip, composite), sharing one memory.
 *
 * Memory layout, so a sample's floats survive the resamples of its mask and background:
 *   [0, 4096)                 normalisation tables (B, G, R: 3 x 256 f32) and the mask table (256 f32)
 *   [4096, workspaceEnd)      the current sample's image floats and mask floats (`sampleWorkspace`)
 *   [workspaceEnd, ...)       resampling scratch (crop rows, coefficients, pass outputs)
 * Everything is synchronous and a thread has its own module instance, so one sample at a time.
 *
 * Where WebAssembly SIMD is missing, `kernels` is undefined and the JavaScript loops of pilResize.ts
 * and pipeline.ts run instead (same results: every golden test runs on both).
 */
import { PIL_RESAMPLE_WASM_BASE64 } from './pilResampleWasm';

// Node has WebAssembly; TypeScript's ES2022 lib without the DOM does not declare it: the part used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** (src, srcStride | stride, rows | n, first, weights, taps, outW | outH, dst), see the .wat. */
type PassFn = (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => void;

export interface Kernels {
  memory: WasmMemory;
  horizontal3: PassFn;
  horizontal1: PassFn;
  vertical: PassFn;
  bgrFloats(src: number, width: number, height: number, flip: number, tables: number, dst: number): void;
  maskFloats(src: number, width: number, height: number, flip: number, table: number, dst: number): void;
  compositeFloats(
    src: number,
    width: number,
    height: number,
    flip: number,
    tables: number,
    image: number,
    mask: number,
  ): void;
}

function load(): Kernels | undefined {
  try {
    const bytes = Buffer.from(PIL_RESAMPLE_WASM_BASE64, 'base64');
    if (wasmApi === undefined || !wasmApi.validate(bytes)) return undefined;
    return new wasmApi.Instance(new wasmApi.Module(bytes), {}).exports as unknown as Kernels;
  } catch {
    return undefined;
  }
}

const loaded = load();
let engine: 'wasm' | 'js' = loaded ? 'wasm' : 'js';

/** The module when it runs ('wasm' engine), else undefined. */
export function kernels(): Kernels | undefined {
  return engine === 'wasm' ? loaded : undefined;
}

/** Which implementation the transforms use: 'wasm' where the runtime has WebAssembly SIMD, else 'js'. */
export function transformEngine(): 'wasm' | 'js' {
  return engine;
}

/** Chooses the implementation (tests and benchmarks run both); 'wasm' fails where it cannot load. */
export function setTransformEngine(e: 'wasm' | 'js'): void {
  if (e === 'wasm' && loaded === undefined) throw new Error('WebAssembly SIMD is not available in this runtime');
  engine = e;
}

/** Byte offsets of the tables (see the layout above). */
export const TABLES_AT = 0;
export const MASK_TABLE_AT = 3072;
const WORKSPACE_AT = 4096;
let workspaceEnd = WORKSPACE_AT;

/** Slack after every region: the passes read and write up to 16 bytes past a row's end. */
export const SLACK = 16;

export function align16(n: number): number {
  return (n + 15) & ~15;
}

/** Grows the memory to at least `bytes`; views made before a growth are stale afterwards. */
export function ensureMemory(k: Kernels, bytes: number): void {
  const pages = Math.ceil(bytes / 65536) - k.memory.buffer.byteLength / 65536;
  if (pages > 0) k.memory.grow(pages);
}

/** Where the current sample's image floats (crop*crop*3) and mask floats (crop*crop) live. */
export function sampleWorkspace(k: Kernels, crop: number): { imageAt: number; maskAt: number } {
  const imageAt = WORKSPACE_AT;
  const maskAt = align16(imageAt + crop * crop * 12 + SLACK);
  const end = align16(maskAt + crop * crop * 4 + SLACK);
  if (end > workspaceEnd) workspaceEnd = end;
  ensureMemory(k, workspaceEnd);
  return { imageAt, maskAt };
}

/** First byte the resampler may use as scratch. */
export function scratchBase(): number {
  return workspaceEnd;
}

let tablesKey = '';

/** Loads the normalisation tables (B, G, R) and the mask table, unless they are loaded already. */
export function loadTables(
  k: Kernels,
  key: string,
  b: Float32Array,
  g: Float32Array,
  r: Float32Array,
  mask: Float32Array,
): void {
  if (key === tablesKey) return;
  const t = new Float32Array(k.memory.buffer, TABLES_AT, 1024);
  t.set(b, 0);
  t.set(g, 256);
  t.set(r, 512);
  t.set(mask, 768);
  tablesKey = key;
}
