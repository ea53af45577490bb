/**
 * The safetensors format (huggingface/safetensors), float32 tensors only: an 8-byte little-endian
 * header length, a JSON header `{"__metadata__": {...}, "<name>": {"dtype": "F32", "shape": [...],
 * "data_offsets": [begin, end]}, ...}` padded with spaces to a multiple of 8 bytes, then the tensors'
 * bytes (little-endian, C order) back to back. Names are written in sorted order, as the reference
 * library writes tensors of one dtype, so a file is byte-identical to `safetensors.numpy.save` of
 * the same arrays (test/fixtures/io, scripts/fixtures/gen_safetensors.py). PyTorch reads it with
 * `safetensors.torch.load_file` and takes it in `load_state_dict`.
 */

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

const HEADER_ALIGN = 8;

export function encodeSafetensors(
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata: Record<string, string> = {},
): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: ${name} has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (HEADER_ALIGN - (json.length % HEADER_ALIGN)) % HEADER_ALIGN;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, at);
    at += d.byteLength;
  }
  return out;
}

export function decodeSafetensors(
  buf: Buffer,
  source: string,
): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a float32 safetensors file: ${why}`);
  };
  if (buf.length < 8) fail(`${buf.length} bytes`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) fail(`header of ${n} bytes in a file of ${buf.length}`);
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  const base = 8 + n;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as unknown as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: off } = entry;
    if (dtype !== 'F32') fail(`${name} is ${dtype}`);
    if (!Array.isArray(shape) || !Array.isArray(off)) fail(`${name} has no shape or data_offsets`);
    const count = shape!.reduce((a, b) => a * b, 1);
    const [begin, end] = off!;
    if (end - begin !== 4 * count || base + end > buf.length)
      fail(`${name}: data_offsets [${off}] for shape [${shape}]`);
    const bytes = buf.subarray(base + begin, base + end);
    // A copy: the file's buffer need not be 4-byte aligned at this offset.
    const data = new Float32Array(count);
    Buffer.from(data.buffer).set(bytes);
    tensors.set(name, { shape: shape!, data });
  }
  return { tensors, metadata };
}
