/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0), little-endian, C order.
 *
 * Why our own reader/writer: the npm package `npyjs` only parses (no writer), pulls in a fetch
 * polyfill, and does not reject Fortran-order or big-endian data; the format is a 10-line spec
 * (numpy/lib/format.py), so a strict implementation with clear errors is smaller than the workaround.
 *
 * Layout: magic "\x93NUMPY", major, minor, header length (uint16 for v1, uint32 for v2/v3), an ASCII
 * (v3: UTF-8) Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }
 * padded with spaces and a newline so that the data starts at a multiple of 64 bytes, then the raw data.
 * Typed arrays use the host byte order; every platform Node supports for this project is little-endian.
 */
import { readFile, writeFile } from 'node:fs/promises';

export type NpyDtype = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8';

export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy descr string (little-endian, or '|' for single bytes) -> dtype. */
const DESCR_TO_DTYPE: Record<string, NpyDtype> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i4': 'int32',
  '<i8': 'int64',
  '|u1': 'uint8',
  '<u1': 'uint8',
};

const DTYPE_TO_DESCR: Record<NpyDtype, string> = {
  float32: '<f4',
  float64: '<f8',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
};

const BYTES_PER_ELEMENT: Record<NpyDtype, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1 };

/** Parse a whole .npy file held in memory. `source` names the file in error messages. */
export function parseNpy(bytes: Uint8Array, source = '<buffer>'): NpyArray {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (missing \\x93NUMPY magic)');
  const major = bytes[6];
  const minor = bytes[7];
  if (![1, 2, 3].includes(major) || minor !== 0) fail(`unsupported .npy format version ${major}.${minor}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail('truncated header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (bytes.length < dataStart)
    fail(`truncated header: header says ${headerLen} bytes, file has ${bytes.length - 8 - lenBytes}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenBytes, dataStart));
  const { descr, fortranOrder, shape } = parseHeaderDict(header, fail);

  if (fortranOrder) fail('Fortran-order arrays are not supported: save with np.ascontiguousarray (C order)');
  if (descr.startsWith('>'))
    fail(`big-endian dtype '${descr}' is not supported: save as little-endian (arr.astype('<${descr.slice(1)}'))`);
  const dtype = DESCR_TO_DTYPE[descr];
  if (!dtype) fail(`unsupported dtype '${descr}' (supported: float32, float64, int32, int64, uint8, little-endian)`);

  const count = shape.reduce((a, b) => a * b, 1);
  const need = count * BYTES_PER_ELEMENT[dtype];
  const have = bytes.length - dataStart;
  if (have < need)
    fail(`truncated data: shape (${shape.join(', ')}) of ${dtype} needs ${need} bytes, file has ${have}`);
  if (have > need)
    fail(`${have - need} unexpected trailing bytes after the data of shape (${shape.join(', ')}) ${dtype}`);

  // Copy into a fresh, aligned buffer (the data offset need not be a multiple of the element size;
  // and a Node Buffer's slice() would share its memory pool, so copy explicitly).
  const copy = new Uint8Array(need);
  copy.set(bytes.subarray(dataStart, dataStart + need));
  const raw = copy.buffer;
  const data: NpyData =
    dtype === 'float32'
      ? new Float32Array(raw)
      : dtype === 'float64'
        ? new Float64Array(raw)
        : dtype === 'int32'
          ? new Int32Array(raw)
          : dtype === 'int64'
            ? new BigInt64Array(raw)
            : new Uint8Array(raw);
  return { dtype, shape, data };
}

function parseHeaderDict(
  header: string,
  fail: (msg: string) => never,
): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descrMatch = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header);
  const fortranMatch = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descrMatch || !fortranMatch || !shapeMatch) fail(`malformed .npy header: ${JSON.stringify(header.trim())}`);
  const shapeText = shapeMatch![1].trim();
  const shape =
    shapeText === ''
      ? []
      : shapeText
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
          .map((s) => {
            const v = Number(s.replace(/L$/, ''));
            if (!Number.isSafeInteger(v) || v < 0) fail(`malformed shape entry '${s}' in .npy header`);
            return v;
          });
  return { descr: descrMatch![1], fortranOrder: fortranMatch![1] === 'True', shape };
}

/** Serialise to .npy bytes: version 1.0 unless the header needs more than 65535 bytes (then 2.0). */
export function encodeNpy(array: NpyArray): Uint8Array {
  const { dtype, shape, data } = array;
  const descr = DTYPE_TO_DESCR[dtype];
  if (!descr) throw new Error(`encodeNpy: unsupported dtype '${dtype}'`);
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0) throw new Error(`encodeNpy: invalid shape (${shape.join(', ')})`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new Error(`encodeNpy: shape (${shape.join(', ')}) has ${count} elements but the data has ${data.length}`);
  }
  const expectedCtor = {
    float32: Float32Array,
    float64: Float64Array,
    int32: Int32Array,
    int64: BigInt64Array,
    uint8: Uint8Array,
  }[dtype];
  if (!(data instanceof expectedCtor))
    throw new Error(`encodeNpy: dtype ${dtype} needs a ${expectedCtor.name}, got ${data.constructor.name}`);

  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let major = 1;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    major = 2;
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - prefix;
  const header = dict + ' '.repeat(headerLen - dict.length - 1) + '\n';

  const bytes = new Uint8Array(total + data.byteLength);
  bytes.set(MAGIC, 0);
  bytes[6] = major;
  bytes[7] = 0;
  const view = new DataView(bytes.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  bytes.set(new TextEncoder().encode(header), prefix);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return bytes;
}

export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseNpy(bytes, path);
}

export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await writeFile(path, encodeNpy(array));
}
