/**
 * Reader for MATLAB level-5 MAT-files (the format of cars_annos.mat), for the subset datasets use:
 * numeric and logical arrays, char arrays, cell arrays, struct arrays; zlib-compressed elements
 * (miCOMPRESSED, MATLAB 7's default) included. Sparse, object and v7.3 (HDF5) files are refused
 * with a clear error.
 *
 * Why our own: the only npm reader (mat-for-js) is a single-release project; the format subset is
 * small and is specified in MathWorks' "MAT-File Format" document. Tested against files written by
 * scipy.io.savemat (test/fixtures/data/mat).
 */
import { inflateSync } from 'node:zlib';

export type MatValue = MatNumeric | MatChar | MatCell | MatStruct;

export interface MatNumeric {
  kind: 'numeric';
  /** MATLAB class name: double, single, int8 ... uint64. */
  className: string;
  dims: number[];
  logical: boolean;
  /** Real part, column-major (MATLAB order). int64/uint64 beyond 2^53 lose precision. */
  data: number[];
  imag?: number[];
}

export interface MatChar {
  kind: 'char';
  dims: number[];
  /** One string per row (a 1xN char array gives one string). */
  strings: string[];
}

export interface MatCell {
  kind: 'cell';
  dims: number[];
  /** Column-major. */
  cells: MatValue[];
}

export interface MatStruct {
  kind: 'struct';
  dims: number[];
  fieldNames: string[];
  /** One record per struct element, column-major. */
  elements: Record<string, MatValue>[];
}

// Data types (miXXX) and array classes (mxXXX) from the MAT-file format specification.
const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
};
const MX_NAMES: Record<number, string> = {
  1: 'cell',
  2: 'struct',
  3: 'object',
  4: 'char',
  5: 'sparse',
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};

class MatFormatError extends Error {
  constructor(source: string, what: string) {
    super(`${source}: not a readable MATLAB v5 MAT-file: ${what}`);
    this.name = 'MatFormatError';
  }
}

interface Element {
  type: number;
  data: Buffer;
  /** Offset just after this element (padding included). */
  next: number;
}

/** Reads the data element at `pos` (normal 8-byte tag or the 4-byte "small data element" form). */
function readElement(buf: Buffer, pos: number, source: string): Element {
  if (pos + 8 > buf.length) throw new MatFormatError(source, `truncated element tag at byte ${pos}`);
  const first = buf.readUInt32LE(pos);
  if (first >>> 16 !== 0) {
    // Small data element: type in the low 16 bits, size in the high 16 bits, data in the next 4 bytes.
    const size = first >>> 16;
    if (size > 4) throw new MatFormatError(source, `small data element of ${size} bytes at byte ${pos}`);
    return { type: first & 0xffff, data: buf.subarray(pos + 4, pos + 4 + size), next: pos + 8 };
  }
  const size = buf.readUInt32LE(pos + 4);
  const start = pos + 8;
  if (start + size > buf.length)
    throw new MatFormatError(
      source,
      `element at byte ${pos} claims ${size} bytes, only ${buf.length - start} left (truncated file?)`,
    );
  // Compressed elements are not padded; all others are padded to a multiple of 8 bytes.
  const padded = first === MI.COMPRESSED ? size : Math.ceil(size / 8) * 8;
  return { type: first, data: buf.subarray(start, start + size), next: Math.min(buf.length, start + padded) };
}

function numbersOf(el: Element, source: string): number[] {
  const d = el.data;
  const out: number[] = [];
  const read = (bytes: number, f: (o: number) => number) => {
    if (d.length % bytes !== 0)
      throw new MatFormatError(source, `numeric element of type ${el.type} has ${d.length} bytes`);
    for (let o = 0; o < d.length; o += bytes) out.push(f(o));
  };
  switch (el.type) {
    case MI.INT8:
      read(1, (o) => d.readInt8(o));
      break;
    case MI.UINT8:
    case MI.UTF8:
      read(1, (o) => d.readUInt8(o));
      break;
    case MI.INT16:
      read(2, (o) => d.readInt16LE(o));
      break;
    case MI.UINT16:
    case MI.UTF16:
      read(2, (o) => d.readUInt16LE(o));
      break;
    case MI.INT32:
      read(4, (o) => d.readInt32LE(o));
      break;
    case MI.UINT32:
    case MI.UTF32:
      read(4, (o) => d.readUInt32LE(o));
      break;
    case MI.SINGLE:
      read(4, (o) => d.readFloatLE(o));
      break;
    case MI.DOUBLE:
      read(8, (o) => d.readDoubleLE(o));
      break;
    case MI.INT64:
      read(8, (o) => Number(d.readBigInt64LE(o)));
      break;
    case MI.UINT64:
      read(8, (o) => Number(d.readBigUInt64LE(o)));
      break;
    default:
      throw new MatFormatError(source, `unsupported numeric data type ${el.type}`);
  }
  return out;
}

function charsOf(el: Element, source: string): string {
  if (el.type === MI.UTF8 || el.type === MI.UINT8 || el.type === MI.INT8) return el.data.toString('utf8');
  if (el.type === MI.UTF16 || el.type === MI.UINT16) return el.data.toString('utf16le');
  return String.fromCodePoint(...numbersOf(el, source));
}

function product(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Parses the contents of one miMATRIX element. Returns the array's name and value. */
function readMatrix(data: Buffer, source: string): { name: string; value: MatValue } {
  if (data.length === 0)
    return { name: '', value: { kind: 'numeric', className: 'double', dims: [0, 0], logical: false, data: [] } };
  const flagsEl = readElement(data, 0, source);
  if (flagsEl.data.length < 8) throw new MatFormatError(source, 'array flags element too short');
  const flags = flagsEl.data.readUInt32LE(0);
  const cls = flags & 0xff;
  const complex = (flags & 0x0800) !== 0;
  const logical = (flags & 0x0200) !== 0;
  const dimsEl = readElement(data, flagsEl.next, source);
  const dims = numbersOf(dimsEl, source);
  const nameEl = readElement(data, dimsEl.next, source);
  const name = nameEl.data.toString('latin1');
  let pos = nameEl.next;
  const n = product(dims);
  const className = MX_NAMES[cls];
  if (className === undefined || cls === 3 || cls === 5) {
    throw new MatFormatError(source, `variable '${name}' has unsupported array class ${className ?? cls}`);
  }
  if (cls === 4) {
    const chars = charsOf(readElement(data, pos, source), source);
    // Column-major: character (r, c) is at index c*rows + r. Strings are the rows.
    const cps = Array.from(chars);
    const rows = dims[0] ?? 0;
    const cols = n / Math.max(rows, 1);
    const strings: string[] = [];
    for (let r = 0; r < rows; r++) {
      let s = '';
      for (let c = 0; c < cols; c++) s += cps[c * rows + r] ?? '';
      strings.push(s);
    }
    return { name, value: { kind: 'char', dims, strings } };
  }
  if (cls === 1) {
    const cells: MatValue[] = [];
    for (let i = 0; i < n; i++) {
      const el = readElement(data, pos, source);
      if (el.type !== MI.MATRIX) throw new MatFormatError(source, `cell '${name}' element ${i} is not a matrix`);
      cells.push(readMatrix(el.data, source).value);
      pos = el.next;
    }
    return { name, value: { kind: 'cell', dims, cells } };
  }
  if (cls === 2) {
    const lenEl = readElement(data, pos, source);
    const fieldLen = numbersOf(lenEl, source)[0];
    const namesEl = readElement(data, lenEl.next, source);
    pos = namesEl.next;
    const fieldNames: string[] = [];
    for (let o = 0; o + fieldLen <= namesEl.data.length; o += fieldLen) {
      const raw = namesEl.data.subarray(o, o + fieldLen);
      const end = raw.indexOf(0);
      fieldNames.push(raw.subarray(0, end < 0 ? raw.length : end).toString('latin1'));
    }
    const elements: Record<string, MatValue>[] = [];
    for (let i = 0; i < n; i++) {
      const rec: Record<string, MatValue> = {};
      for (const f of fieldNames) {
        const el = readElement(data, pos, source);
        if (el.type !== MI.MATRIX)
          throw new MatFormatError(source, `struct '${name}' field ${f} of element ${i} is not a matrix`);
        rec[f] = readMatrix(el.data, source).value;
        pos = el.next;
      }
      elements.push(rec);
    }
    return { name, value: { kind: 'struct', dims, fieldNames, elements } };
  }
  const realEl = readElement(data, pos, source);
  const real = numbersOf(realEl, source);
  if (real.length !== n)
    throw new MatFormatError(source, `variable '${name}' has ${real.length} values for dims ${dims.join('x')}`);
  const value: MatNumeric = { kind: 'numeric', className, dims, logical, data: real };
  if (complex) value.imag = numbersOf(readElement(data, realEl.next, source), source);
  return { name, value };
}

/** Parses a whole MAT-file; returns its variables by name. `source` names the file in errors. */
export function readMatFile(buf: Buffer, source = 'MAT-file'): Record<string, MatValue> {
  if (buf.length < 128) throw new MatFormatError(source, `only ${buf.length} bytes (a v5 header alone is 128)`);
  const text = buf.subarray(0, 116).toString('latin1');
  if (text.startsWith('MATLAB 7.3')) throw new MatFormatError(source, 'this is a v7.3 (HDF5) file');
  const endian = buf.subarray(126, 128).toString('latin1');
  if (endian === 'MI') throw new MatFormatError(source, 'big-endian MAT-files are not supported');
  if (endian !== 'IM' || !text.startsWith('MATLAB'))
    throw new MatFormatError(source, 'missing the "MATLAB 5.0 MAT-file" header');
  const vars: Record<string, MatValue> = {};
  let pos = 128;
  while (pos < buf.length) {
    let el = readElement(buf, pos, source);
    pos = el.next;
    if (el.type === MI.COMPRESSED) {
      let raw: Buffer;
      try {
        raw = inflateSync(el.data);
      } catch (e) {
        throw new MatFormatError(source, `compressed element cannot be inflated: ${(e as Error).message}`);
      }
      el = readElement(raw, 0, source);
    }
    if (el.type !== MI.MATRIX) continue; // other top-level elements carry no variables
    const { name, value } = readMatrix(el.data, source);
    vars[name] = value;
  }
  return vars;
}

// Accessors that turn "expected shape" assumptions into clear errors.

export function matString(v: MatValue | undefined, what: string): string {
  if (!v || v.kind !== 'char' || v.strings.length > 1)
    throw new Error(`${what}: expected a char row vector, got ${v ? v.kind : 'nothing'}`);
  return v.strings[0] ?? '';
}

export function matScalar(v: MatValue | undefined, what: string): number {
  if (!v || v.kind !== 'numeric' || v.data.length !== 1)
    throw new Error(`${what}: expected a numeric scalar, got ${v ? `${v.kind} ${v.dims.join('x')}` : 'nothing'}`);
  return v.data[0];
}
