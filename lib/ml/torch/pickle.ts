/**
 * A small, strict unpickler for the pickle protocols PyTorch checkpoints use (0-2, plus the protocol-4
 * framing/memo opcodes), with hooks for globals and persistent ids.
 *
 * Why our own: the npm pickle parsers are little used and none documents persistent_load, which
 * torch.save needs (tensor storages are persistent ids). This one knows only data opcodes and never
 * executes anything: every Python global must be mapped by the caller's `findClass`, so an unknown
 * global is an error naming it, not code execution.
 *
 * Python values map to: None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float ->
 * number, str / py2 str -> string, bytes -> Uint8Array, list and tuple -> array, dict -> Map.
 */

export interface UnpickleHooks {
  /** Returns the object standing for `module.name` (called by GLOBAL / STACK_GLOBAL). */
  findClass(module: string, name: string): unknown;
  /** Resolves a persistent id (BINPERSID / PERSID). */
  persistentLoad?(pid: unknown): unknown;
}

/** A Python callable the caller supplies through findClass. */
export class PyCallable {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: unknown[]) => unknown,
    /** Applies a BUILD state to an object made by this callable; default: ignore dict states. */
    readonly build?: (obj: unknown, state: unknown) => unknown,
  ) {}
}

export class PickleError extends Error {}

export interface UnpickleResult {
  value: unknown;
  /** Offset just after the STOP opcode: the next pickle in the stream starts there. */
  end: number;
}

const MARK = Symbol('mark');

/** Unpickles one object starting at `offset` of `buf`; `source` names the file in errors. */
export function unpickle(buf: Uint8Array, offset: number, hooks: UnpickleHooks, source = '<buffer>'): UnpickleResult {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const built = new WeakMap<object, PyCallable>();
  let pos = offset;

  const fail = (msg: string): never => {
    throw new PickleError(`${source}: pickle at byte ${offset}: ${msg}`);
  };
  const need = (n: number): void => {
    if (pos + n > buf.length) fail(`truncated: needs ${n} more byte(s) at byte ${pos}, file has ${buf.length}`);
  };
  const u8 = (): number => {
    need(1);
    return buf[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} too large`);
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail(`truncated: unterminated text argument at byte ${pos}`);
    const s = Buffer.from(buf.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    const v = stack.pop();
    if (v === MARK) fail('unexpected MARK on the stack');
    return v;
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('MARK not found');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const signedLE = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof Map)) fail(`SETITEM(S) on a ${describe(dict)}, expected a dict`);
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const append = (list: unknown, items: unknown[]): void => {
    if (!Array.isArray(list)) fail(`APPEND(S) on a ${describe(list)}, expected a list`);
    (list as unknown[]).push(...items);
  };
  const callGlobal = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof PyCallable)) fail(`REDUCE/NEWOBJ on a ${describe(fn)}, expected a callable from findClass`);
    if (!Array.isArray(args)) fail(`REDUCE arguments must be a tuple, got ${describe(args)}`);
    const c = fn as PyCallable;
    const obj = c.call(args as unknown[]);
    if (obj !== null && typeof obj === 'object') built.set(obj, c);
    return obj;
  };
  const global = (module: string, name: string): unknown => {
    const found = hooks.findClass(module, name);
    if (found === undefined) fail(`unsupported Python global ${module}.${name}`);
    return found;
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        u64();
        break; // FRAME: framing is only a read-ahead hint
      case 0x2e: {
        // STOP
        const value = pop();
        return { value, end: pos };
      }
      case 0x28:
        stack.push(MARK);
        break;
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(signedLE(bytes(u8())));
        break; // LONG1
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(signedLE(bytes(n)));
        break;
      }
      case 0x49: {
        // INT (text): also encodes bools in protocol 0
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : parseIntText(s, fail));
        break;
      }
      case 0x4c:
        stack.push(parseIntText(line().replace(/L$/, ''), fail));
        break; // LONG (text)
      case 0x47: {
        // BINFLOAT, big-endian
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x54:
        stack.push(utf8(bytes(i32())));
        break; // BINSTRING (py2 str)
      case 0x55:
        stack.push(utf8(bytes(u8())));
        break; // SHORT_BINSTRING (py2 str)
      case 0x58:
        stack.push(utf8(bytes(u32())));
        break; // BINUNICODE
      case 0x8c:
        stack.push(utf8(bytes(u8())));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(utf8(bytes(u64())));
        break; // BINUNICODE8
      case 0x42:
        stack.push(bytes(u32()).slice());
        break; // BINBYTES
      case 0x43:
        stack.push(bytes(u8()).slice());
        break; // SHORT_BINBYTES
      case 0x8e:
        stack.push(bytes(u64()).slice());
        break; // BINBYTES8
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      } // TUPLE3
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = pop();
        append(top(), [v]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        append(top(), items);
        break;
      } // APPENDS
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x64: {
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      } // DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      } // GLOBAL
      case 0x93: {
        const name = pop();
        const module = pop();
        stack.push(global(String(module), String(name)));
        break;
      } // STACK_GLOBAL
      case 0x52: {
        const args = pop();
        const fn = pop();
        stack.push(callGlobal(fn, args));
        break;
      } // REDUCE
      case 0x81: {
        const args = pop();
        const cls = pop();
        stack.push(callGlobal(cls, args));
        break;
      } // NEWOBJ
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        const maker = obj !== null && typeof obj === 'object' ? built.get(obj) : undefined;
        if (maker?.build) stack[stack.length - 1] = maker.build(obj, state);
        else if (!(state instanceof Map || state === null))
          fail(`BUILD with a ${describe(state)} state on a ${describe(obj)}`);
        // A dict state (e.g. OrderedDict._metadata of a state_dict) only sets attributes: not needed.
        break;
      }
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x70:
        memo.set(parseIntText(line(), fail) as number, top());
        break; // PUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
        stack.push(memoGet(memo, u8(), fail));
        break; // BINGET
      case 0x6a:
        stack.push(memoGet(memo, u32(), fail));
        break; // LONG_BINGET
      case 0x67:
        stack.push(memoGet(memo, parseIntText(line(), fail) as number, fail));
        break; // GET
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) fail('persistent id found but no persistentLoad hook given');
        stack.push(hooks.persistentLoad!(pid));
        break;
      }
      case 0x50: {
        // PERSID (text)
        const pid = line();
        if (!hooks.persistentLoad) fail('persistent id found but no persistentLoad hook given');
        stack.push(hooks.persistentLoad!(pid));
        break;
      }
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }
}

function memoGet(memo: Map<number, unknown>, key: number, fail: (m: string) => never): unknown {
  if (!memo.has(key)) fail(`memo key ${key} was never stored`);
  return memo.get(key);
}

function parseIntText(s: string, fail: (m: string) => never): number | bigint {
  if (!/^-?\d+$/.test(s)) fail(`invalid integer text ${JSON.stringify(s)}`);
  const v = BigInt(s);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return `tuple/list of ${v.length}`;
  if (v instanceof Map) return 'dict';
  if (v instanceof PyCallable) return `global ${v.qualifiedName}`;
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'object' ? ((v as object).constructor?.name ?? 'object') : typeof v;
}
