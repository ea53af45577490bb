/**
 * A flat container of named float32 tensors plus JSON metadata: model weights, loss weights and
 * optimizer buffers in one object, bit-exact, so a resumed training continues from exactly the
 * numbers the interrupted one had. Layout: "BGWT", uint32 LE header length, JSON header, padding to
 * 4 bytes, then each tensor's float32 data (little-endian).
 */
import { SchemaError } from '../../../contracts/errors';

export interface TensorRecord {
  shape: number[];
  data: Float32Array;
}

interface Header {
  meta: unknown;
  tensors: Array<{ name: string; shape: number[]; offset: number; length: number }>;
}

const MAGIC = Buffer.from('BGWT');

export function encodeTensorFile(tensors: Map<string, TensorRecord>, meta: unknown = {}): Buffer {
  const entries: Header['tensors'] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length)
      throw new Error(`tensor ${name}: shape [${t.shape}] needs ${expected} values, has ${t.data.length}`);
    entries.push({ name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length * 4;
  }
  let header = Buffer.from(JSON.stringify({ meta, tensors: entries } satisfies Header), 'utf8');
  const pad = (4 - ((8 + header.length) % 4)) % 4;
  header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  const body = Buffer.alloc(offset);
  for (const [i, t] of [...tensors.values()].entries()) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(body, entries[i].offset);
  }
  return Buffer.concat([MAGIC, len, header, body]);
}

export function decodeTensorFile(
  buf: Buffer,
  source = 'tensor file',
): { meta: unknown; tensors: Map<string, TensorRecord> } {
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC))
    throw new SchemaError(source, `${source}: not a bgbias tensor file (bad magic)`);
  const headerLength = buf.readUInt32LE(4);
  if (8 + headerLength > buf.length) throw new SchemaError(source, `${source}: truncated header`);
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as Header;
  } catch (e) {
    throw new SchemaError(source, `${source}: header is not JSON (${(e as Error).message})`, { cause: e });
  }
  const base = 8 + headerLength;
  const tensors = new Map<string, TensorRecord>();
  for (const e of header.tensors) {
    const start = base + e.offset;
    if (start + e.length * 4 > buf.length)
      throw new SchemaError(source, `${source}: truncated data of tensor ${e.name}`);
    // Copy into an aligned buffer: the slice of a Node Buffer may not be 4-byte aligned.
    const data = new Float32Array(e.length);
    Buffer.from(data.buffer).set(buf.subarray(start, start + e.length * 4));
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { meta: header.meta, tensors };
}
