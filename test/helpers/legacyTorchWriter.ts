/**
 * Writes float32 state_dicts in PyTorch's LEGACY torch.save format (pre-1.6, non-zip: the format of
 * Cadene's bn_inception-52deb4733.pth), byte for byte as torch 1.13's
 * `torch.save(sd, f, _use_new_zipfile_serialization=False)` writes them when given the same storage
 * keys (scripts/fixtures/check_legacy_writer.py proves that with PyTorch, and loads a whole random
 * BN-Inception file into Cadene's model). For tests: a ~45 MB weights file is made at test time
 * instead of being committed.
 *
 * API
 *   encodeLegacyTorch(tensors, { storageKeys? }) -> Buffer
 *     tensors: [name, { shape, data: Float32Array }] in state_dict order; each tensor gets its own
 *     contiguous FloatStorage (offset 0, row-major strides). storageKeys: the pickled storage names
 *     (torch uses memory addresses; default '0', '1', ...), one per tensor.
 *   writeLegacyTorchFile(path, tensors, options) -> { path, bytes, sha256 }
 * Fast: the pickles are a few KB; the tensor bytes are copied once into the output buffer.
 *
 * The layout (see lib/ml/torch/legacyReader.ts for the reader): five things back to back:
 *   pickle(magic number) pickle(1001) pickle(sys_info) pickle(state_dict) pickle(sorted storage keys)
 *   then per key, in that order: int64 element count + the raw little-endian float32s.
 * Pickles are protocol 2, memoised as Python's pickler does (BINPUT after every string, tuple, global
 * and reduced object; BINGET when the same object, a global or one of torch's constant strings,
 * comes again), so the bytes equal torch's.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

export interface LegacyTensor {
  shape: readonly number[];
  data: Float32Array;
}

export interface LegacyWriteOptions {
  /** One storage key per tensor (default '0', '1', ...). */
  storageKeys?: readonly string[];
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;
/** Python's pickler writes SETITEMS / APPENDS in batches of this many. */
const BATCH = 1000;

/** A protocol-2 pickle writer with Python's memo numbering. */
class Pickler {
  private readonly parts: Buffer[] = [];
  private memoSize = 0;
  /** Objects Python would find in its memo again: globals and torch's constant strings. */
  private readonly memo = new Map<string, number>();

  constructor() {
    this.raw(0x80, 2); // PROTO 2
  }

  raw(...bytes: number[]): void {
    this.parts.push(Buffer.from(bytes));
  }

  private put(): void {
    const i = this.memoSize++;
    if (i < 256)
      this.raw(0x71, i); // BINPUT
    else {
      const b = Buffer.alloc(5);
      b[0] = 0x72; // LONG_BINPUT
      b.writeUInt32LE(i, 1);
      this.parts.push(b);
    }
  }

  private get(i: number): void {
    if (i < 256)
      this.raw(0x68, i); // BINGET
    else {
      const b = Buffer.alloc(5);
      b[0] = 0x6a; // LONG_BINGET
      b.writeUInt32LE(i, 1);
      this.parts.push(b);
    }
  }

  /** A memoised object: written and BINPUT the first time, BINGET afterwards. */
  private shared(key: string, write: () => void): void {
    const at = this.memo.get(key);
    if (at !== undefined) return this.get(at);
    write();
    this.memo.set(key, this.memoSize);
    this.put();
  }

  /** A new string object (memoised, never found again). */
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    const head = Buffer.alloc(5);
    head[0] = 0x58; // BINUNICODE
    head.writeUInt32LE(b.length, 1);
    this.parts.push(head, b);
    this.put();
  }

  /** One of the interned strings torch passes every time (the same Python object). */
  constStr(s: string): void {
    this.shared(`str:${s}`, () => {
      const b = Buffer.from(s, 'utf8');
      const head = Buffer.alloc(5);
      head[0] = 0x58;
      head.writeUInt32LE(b.length, 1);
      this.parts.push(head, b);
    });
  }

  global(module: string, name: string): void {
    this.shared(`global:${module}.${name}`, () => this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1')));
  }

  int(n: number): void {
    if (!Number.isInteger(n)) throw new Error(`pickle: ${n} is not an integer`);
    if (n >= 0 && n <= 0xff)
      this.raw(0x4b, n); // BININT1
    else if (n >= 0 && n <= 0xffff)
      this.raw(0x4d, n & 0xff, n >> 8); // BININT2
    else if (n >= -0x80000000 && n <= 0x7fffffff) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(n, 1);
      this.parts.push(b);
    } else throw new Error(`pickle: ${n} needs LONG1, not written here`);
  }

  /** LONG1 of a non-negative bigint (the magic number). */
  long1(v: bigint): void {
    const bytes: number[] = [];
    while (v > 0n) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    }
    if (bytes.length && bytes[bytes.length - 1] & 0x80) bytes.push(0); // keep it positive
    this.raw(0x8a, bytes.length, ...bytes);
  }

  /** A tuple of already-pickled items: TUPLE1-3 or MARK ... TUPLE (MARK is written by the caller). */
  tuple(n: number, marked: boolean): void {
    if (n === 0) return this.raw(0x29); // EMPTY_TUPLE, not memoised
    if (!marked && n <= 3)
      this.raw(0x85 + n - 1); // TUPLE1..3
    else this.raw(0x74); // TUPLE
    this.put();
  }

  ints(values: readonly number[]): void {
    const marked = values.length > 3;
    if (marked) this.mark();
    for (const v of values) this.int(v);
    this.tuple(values.length, marked);
  }

  mark(): void {
    this.raw(0x28);
  }

  stop(): Buffer {
    this.raw(0x2e);
    return Buffer.concat(this.parts);
  }

  memoised(): void {
    this.put();
  }
}

function pickleOf(write: (p: Pickler) => void): Buffer {
  const p = new Pickler();
  write(p);
  return p.stop();
}

/** Row-major strides of a shape. */
function stridesOf(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d];
  }
  return out;
}

/**
 * Items in the batches of Python's C pickler: MARK ... SETITEMS (APPENDS) per 1000. For the
 * state_dict (an OrderedDict, pickled through its reduce iterator) a batch of one is written as
 * SETITEM; for an exact list only a list of one item is (APPEND), a last batch of one still gets MARK.
 */
function batched<T>(
  p: Pickler,
  items: readonly T[],
  writeOne: (t: T) => void,
  many: number,
  one: number,
  loneBatchAsOne: boolean,
): void {
  for (let i = 0; i < items.length; i += BATCH) {
    const batch = items.slice(i, i + BATCH);
    const single = batch.length === 1 && (loneBatchAsOne || items.length === 1);
    if (!single) p.mark();
    for (const t of batch) writeOne(t);
    p.raw(single ? one : many);
  }
}

export function encodeLegacyTorch(
  tensors: Iterable<readonly [string, LegacyTensor]>,
  options: LegacyWriteOptions = {},
): Buffer {
  const list = [...tensors];
  const keys = options.storageKeys ?? list.map((_, i) => String(i));
  if (keys.length !== list.length)
    throw new Error(`legacy torch: ${keys.length} storage keys for ${list.length} tensors`);
  if (new Set(keys).size !== keys.length) throw new Error('legacy torch: storage keys must be distinct');
  list.forEach(([name, t]) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n)
      throw new Error(`legacy torch: ${name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
  });

  const magic = pickleOf((p) => p.long1(LEGACY_MAGIC));
  const version = pickleOf((p) => p.int(PROTOCOL_VERSION));
  const sysInfo = pickleOf((p) => {
    p.raw(0x7d); // EMPTY_DICT
    p.memoised();
    p.mark();
    p.str('protocol_version');
    p.int(PROTOCOL_VERSION);
    p.str('little_endian');
    p.raw(0x88); // NEWTRUE
    p.str('type_sizes');
    p.raw(0x7d);
    p.memoised();
    p.mark();
    for (const [k, v] of [
      ['short', 2],
      ['int', 4],
      ['long', 4],
    ] as const) {
      p.str(k);
      p.int(v);
    }
    p.raw(0x75); // SETITEMS
    p.raw(0x75);
  });
  const stateDict = pickleOf((p) => {
    p.global('collections', 'OrderedDict');
    p.raw(0x29, 0x52); // EMPTY_TUPLE REDUCE
    p.memoised();
    batched(
      p,
      list.map((entry, i) => ({ entry, key: keys[i] })),
      ({ entry: [name, t], key }) => {
        p.str(name);
        p.global('torch._utils', '_rebuild_tensor_v2');
        p.mark();
        // persistent id ('storage', torch.FloatStorage, key, 'cpu', numel, None)
        p.mark();
        p.constStr('storage');
        p.global('torch', 'FloatStorage');
        p.str(key);
        p.constStr('cpu');
        p.int(t.data.length);
        p.raw(0x4e); // NONE
        p.tuple(6, true);
        p.raw(0x51); // BINPERSID
        p.int(0); // storage offset
        p.ints(t.shape);
        p.ints(stridesOf(t.shape));
        p.raw(0x89); // NEWFALSE: requires_grad
        p.global('collections', 'OrderedDict'); // backward hooks: OrderedDict()
        p.raw(0x29, 0x52);
        p.memoised();
        p.tuple(6, true);
        p.raw(0x52); // REDUCE
        p.memoised();
      },
      0x75, // SETITEMS
      0x73, // SETITEM
      true,
    );
  });
  // torch writes the keys sorted (as strings), and the storages in that order.
  const order = list.map((_, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
  const keyList = pickleOf((p) => {
    p.raw(0x5d); // EMPTY_LIST
    p.memoised();
    batched(p, order, (i) => p.str(keys[i]), 0x65, 0x61, false); // APPENDS / APPEND
  });

  const headerBytes = magic.length + version.length + sysInfo.length + stateDict.length + keyList.length;
  const total = list.reduce((s, [, t]) => s + 8 + t.data.byteLength, headerBytes);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const b of [magic, version, sysInfo, stateDict, keyList]) pos += b.copy(out, pos);
  for (const i of order) {
    const data = list[i][1].data;
    out.writeBigInt64LE(BigInt(data.length), pos);
    pos += 8;
    // Typed arrays are little-endian on every platform Node runs this project on.
    pos += Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, pos);
  }
  return out;
}

export async function writeLegacyTorchFile(
  path: string,
  tensors: Iterable<readonly [string, LegacyTensor]>,
  options: LegacyWriteOptions = {},
): Promise<{ path: string; bytes: number; sha256: string }> {
  const buf = encodeLegacyTorch(tensors, options);
  await writeFile(path, buf);
  return { path, bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
}
