/**
 * Reader for PyTorch's legacy (pre-1.6, non-zip) torch.save format, the format of the published
 * BN-Inception weights (bn_inception-52deb4733.pth, saved from Python 2).
 *
 * Layout (torch/serialization.py, _legacy_save): five things back to back,
 *   1. pickle: the magic number 0x1950a86a20f9469cfc6c
 *   2. pickle: the protocol version 1001
 *   3. pickle: sys_info {protocol_version, little_endian, type_sizes}
 *   4. pickle: the object (here a state_dict), where every tensor storage is a persistent id
 *        ('storage', <torch.XStorage>, key, location, numel, view_metadata)
 *      and tensors are torch._utils._rebuild_tensor(_v2)(storage, offset, size, stride, ...)
 *   5. pickle: the list of storage keys; then, per key in that order, an int64 element count and
 *      the raw little-endian elements.
 * Zip files (torch >= 1.6 default) are recognised and rejected with instructions.
 */
import { readFile } from 'node:fs/promises';
import { describe, PyCallable, unpickle, type UnpickleHooks } from './pickle';

export type TorchDtype = 'float32' | 'float64' | 'int64' | 'int32';

export interface TorchTensor {
  shape: number[];
  /** dtype of the stored tensor; data is always converted to float32. */
  dtype: TorchDtype;
  data: Float32Array;
}

export type StateDict = Map<string, TorchTensor>;

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

interface StorageType {
  name: string;
  dtype: TorchDtype | undefined;
  elementSize: number;
}

const STORAGE_TYPES: Record<string, StorageType> = {
  FloatStorage: { name: 'FloatStorage', dtype: 'float32', elementSize: 4 },
  DoubleStorage: { name: 'DoubleStorage', dtype: 'float64', elementSize: 8 },
  LongStorage: { name: 'LongStorage', dtype: 'int64', elementSize: 8 },
  IntStorage: { name: 'IntStorage', dtype: 'int32', elementSize: 4 },
  HalfStorage: { name: 'HalfStorage', dtype: undefined, elementSize: 2 },
  BFloat16Storage: { name: 'BFloat16Storage', dtype: undefined, elementSize: 2 },
  ShortStorage: { name: 'ShortStorage', dtype: undefined, elementSize: 2 },
  CharStorage: { name: 'CharStorage', dtype: undefined, elementSize: 1 },
  ByteStorage: { name: 'ByteStorage', dtype: undefined, elementSize: 1 },
  BoolStorage: { name: 'BoolStorage', dtype: undefined, elementSize: 1 },
};

interface StorageRef {
  key: string;
  type: StorageType;
  numel: number;
  /** Set for old (pre-1.0) storage views: a slice of the root storage `key`. */
  viewOffset: number;
  bytes?: Uint8Array;
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** Reads a legacy torch.save file holding a state_dict (or {state_dict: ...}) of tensors. */
export async function loadLegacyTorchFile(path: string): Promise<StateDict> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new Error(`cannot read PyTorch weights ${path}: ${(e as Error).message}`, { cause: e });
  }
  return readLegacyTorchFile(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

export function readLegacyTorchFile(buf: Uint8Array, source = '<buffer>'): StateDict {
  if (buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04) {
    throw new Error(
      `${source} is a zip-format PyTorch file (torch >= 1.6 default), not the legacy format this reader ` +
        `supports: re-save it in Python with torch.save(torch.load(f), out, _use_new_zipfile_serialization=False)`,
    );
  }
  if (buf.length > 262 && Buffer.from(buf.subarray(257, 262)).toString('latin1') === 'ustar') {
    throw new Error(`${source} is a tar-format PyTorch file (torch < 0.1.10), which is not supported`);
  }
  const plain: UnpickleHooks = { findClass: () => undefined };
  let r = unpickle(buf, 0, plain, source);
  if (r.value !== LEGACY_MAGIC) {
    throw new Error(`${source} is not a PyTorch legacy file: magic number ${String(r.value)} != ${LEGACY_MAGIC}`);
  }
  r = unpickle(buf, r.end, plain, source);
  if (r.value !== LEGACY_PROTOCOL_VERSION) {
    throw new Error(
      `${source}: unsupported torch.save protocol version ${String(r.value)} (expected ${LEGACY_PROTOCOL_VERSION})`,
    );
  }
  r = unpickle(buf, r.end, plain, source);
  const sysInfo = r.value;
  if (!(sysInfo instanceof Map) || sysInfo.get('little_endian') !== true) {
    throw new Error(`${source}: only little-endian files are supported (sys_info ${describeSysInfo(sysInfo)})`);
  }

  const storages = new Map<string, StorageRef>();
  const tensors: TensorRef[] = [];
  r = unpickle(
    buf,
    r.end,
    {
      findClass: (module, name) => findTorchGlobal(module, name, tensors),
      persistentLoad: (pid) => loadStorage(pid, storages, source),
    },
    source,
  );
  const obj = r.value;

  r = unpickle(buf, r.end, plain, source);
  const keys = r.value;
  if (!Array.isArray(keys)) throw new Error(`${source}: expected the list of storage keys, got ${describe(keys)}`);
  let pos = r.end;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const k of keys) {
    const key = String(k);
    const s = storages.get(key);
    if (!s) throw new Error(`${source}: storage key ${key} listed but never referenced`);
    if (pos + 8 > buf.length)
      throw new Error(`${source}: truncated before storage ${key} (byte ${pos} of ${buf.length})`);
    const numel = Number(view.getBigInt64(pos, true));
    pos += 8;
    if (numel < s.numel)
      throw new Error(`${source}: storage ${key} holds ${numel} elements, its tensors need ${s.numel}`);
    const nbytes = numel * s.type.elementSize;
    if (pos + nbytes > buf.length) {
      throw new Error(
        `${source}: truncated in storage ${key}: needs ${nbytes} bytes at byte ${pos}, file has ${buf.length}`,
      );
    }
    s.bytes = buf.subarray(pos, pos + nbytes);
    pos += nbytes;
  }
  // Old view storages share their root's bytes.
  for (const s of storages.values()) {
    if (!s.bytes) {
      const root = storages.get(s.key.split('#')[0]);
      if (root?.bytes) s.bytes = root.bytes;
    }
  }

  const dict = pickStateDict(obj, source);
  const out: StateDict = new Map();
  for (const [name, value] of dict) {
    if (!(value instanceof TensorRef)) {
      throw new Error(`${source}: entry ${JSON.stringify(name)} is a ${describe(value)}, not a tensor`);
    }
    out.set(String(name), materialise(value, String(name), source));
  }
  return out;
}

function pickStateDict(obj: unknown, source: string): Map<unknown, unknown> {
  if (!(obj instanceof Map))
    throw new Error(`${source}: expected a state_dict (dict of tensors), got ${describe(obj)}`);
  const inner = obj.get('state_dict');
  if (inner instanceof Map) return inner;
  return obj;
}

function findTorchGlobal(module: string, name: string, tensors: TensorRef[]): unknown {
  const q = `${module}.${name}`;
  if (q === 'collections.OrderedDict') {
    // Python 3: OrderedDict() then SETITEMS; Python 2: OrderedDict([[k, v], ...]).
    return new PyCallable(q, (args) => {
      const m = new Map<unknown, unknown>();
      const items = args[0];
      if (Array.isArray(items)) for (const kv of items) if (Array.isArray(kv)) m.set(kv[0], kv[1]);
      return m;
    });
  }
  if (q === 'torch._utils._rebuild_tensor' || q === 'torch._utils._rebuild_tensor_v2') {
    return new PyCallable(q, (args) => {
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof Object && 'type' in (storage as object)))
        throw new Error(`${q}: first argument is not a storage`);
      const t = new TensorRef(
        storage as StorageRef,
        Number(offset),
        (size as unknown[]).map(Number),
        (stride as unknown[]).map(Number),
      );
      tensors.push(t);
      return t;
    });
  }
  if (q === 'torch._utils._rebuild_parameter') return new PyCallable(q, (args) => args[0]);
  if (module === 'torch' && name in STORAGE_TYPES) return STORAGE_TYPES[name];
  if (module === 'torch' && name.endsWith('Storage')) return { name, dtype: undefined, elementSize: 0 };
  return undefined;
}

function loadStorage(pid: unknown, storages: Map<string, StorageRef>, source: string): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
    throw new Error(`${source}: unexpected persistent id ${describe(pid)} (expected a 'storage' tuple)`);
  }
  const [, type, rootKey, , numel, viewMeta] = pid as [string, StorageType, unknown, unknown, unknown, unknown];
  if (!type || typeof type !== 'object' || !('elementSize' in type)) {
    throw new Error(`${source}: storage ${String(rootKey)} has an unknown storage type ${describe(type)}`);
  }
  if (type.elementSize === 0) throw new Error(`${source}: unsupported storage type torch.${type.name}`);
  const key = String(rootKey);
  let root = storages.get(key);
  if (!root) {
    root = { key, type, numel: Number(numel), viewOffset: 0 };
    storages.set(key, root);
  }
  if (Array.isArray(viewMeta)) {
    const [viewKey, offset, size] = viewMeta;
    const vk = `${key}#${String(viewKey)}`;
    let v = storages.get(vk);
    if (!v) {
      v = { key: vk, type, numel: Number(size), viewOffset: Number(offset) };
      storages.set(vk, v);
    }
    return v;
  }
  return root;
}

function materialise(t: TensorRef, name: string, source: string): TorchTensor {
  const s = t.storage;
  const { dtype, elementSize } = s.type;
  if (dtype === undefined) {
    throw new Error(
      `${source}: tensor ${JSON.stringify(name)} is stored as torch.${s.type.name}, which this reader does not ` +
        `convert ` +
        `(supported: FloatStorage, DoubleStorage, LongStorage, IntStorage)`,
    );
  }
  if (!s.bytes) throw new Error(`${source}: data of storage ${s.key} (tensor ${JSON.stringify(name)}) is missing`);
  const n = t.size.reduce((a, b) => a * b, 1);
  const base = s.viewOffset + t.offset;
  let last = base;
  for (let d = 0; d < t.size.length; d++) if (t.size[d] > 0) last += (t.size[d] - 1) * t.stride[d];
  const available = s.bytes.length / elementSize;
  if (n > 0 && (base < 0 || last >= available)) {
    throw new Error(
      `${source}: tensor ${JSON.stringify(name)} (size ${JSON.stringify(t.size)}, stride ` +
        `${JSON.stringify(t.stride)}, ` +
        `offset ${t.offset}) reaches element ${last} of a storage with ${available}`,
    );
  }
  const view = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  const read = (i: number): number => {
    const at = i * elementSize;
    switch (dtype) {
      case 'float32':
        return view.getFloat32(at, true);
      case 'float64':
        return view.getFloat64(at, true);
      case 'int64':
        return Number(view.getBigInt64(at, true));
      case 'int32':
        return view.getInt32(at, true);
    }
  };
  const data = new Float32Array(n);
  const rank = t.size.length;
  const idx = new Array<number>(rank).fill(0);
  let src = base;
  for (let i = 0; i < n; i++) {
    data[i] = read(src);
    // Odometer over the dims, last dim fastest (row-major output).
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += t.stride[d];
      if (idx[d] < t.size[d]) break;
      src -= t.stride[d] * t.size[d];
      idx[d] = 0;
    }
  }
  return { shape: t.size.slice(), dtype, data };
}

function describeSysInfo(v: unknown): string {
  if (v instanceof Map)
    return JSON.stringify(
      Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), x instanceof Map ? Object.fromEntries(x) : x])),
    );
  return describe(v);
}
