// Content addresses of stage outputs: sha256 over a canonical JSON form of what determines them.
import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted (by UTF-16 code unit) at every depth and no whitespace, so equal
 * values always give the same bytes. Only plain JSON data is accepted: undefined, NaN, Infinity,
 * functions, symbols, bigints and non-plain objects (Date, Map, class instances) throw an error
 * naming their path, because silently dropping or stringifying them would make two different
 * inputs share a digest.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$', new Set());
}

function encode(value: unknown, at: string, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value))
        throw new Error(`canonicalJson: ${at} is ${value}; only finite numbers have a JSON form`);
      return JSON.stringify(value); // -0 becomes 0, like JSON.stringify
    case 'undefined':
      throw new Error(`canonicalJson: ${at} is undefined; use null or leave the key out`);
    case 'function':
    case 'symbol':
    case 'bigint':
      throw new Error(
        `canonicalJson: ${at} is a ${typeof value}; only JSON data (null, boolean, number, string, array, plain ` +
          `object) is allowed`,
      );
  }
  const obj = value as object;
  if (seen.has(obj)) throw new Error(`canonicalJson: ${at} refers back to itself (a cycle)`);
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((item, i) => encode(item, `${at}[${i}]`, seen)).join(',')}]`;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new Error(
        `canonicalJson: ${at} is a ${kind}, not a plain object; convert it to JSON data first (e.g. a Date to an ` +
          `ISO string)`,
      );
    }
    const keys = Object.keys(obj).sort();
    const record = obj as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${encode(record[k], `${at}.${k}`, seen)}`).join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const HEX_DIGEST = /^[0-9a-f]{32,128}$/;

/**
 * The digest of a stage's output: sha256 of canonicalJson({stage, version, inputs, upstream}).
 * `inputs` holds exactly what determines the result (never log level or worker name);
 * `upstream` lists the digests of the artifacts it reads, in the stage's own fixed order.
 */
export function stageDigest(stage: string, version: number, inputs: unknown, upstream: string[]): string {
  if (typeof stage !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(stage)) {
    throw new Error(
      `stageDigest: stage must be a name of letters, digits, '.', '_' or '-', got ${JSON.stringify(stage)}`,
    );
  }
  if (!Number.isInteger(version) || version < 0)
    throw new Error(`stageDigest: version of stage "${stage}" must be a non-negative integer, got ${version}`);
  if (!Array.isArray(upstream))
    throw new Error(`stageDigest: upstream of stage "${stage}" must be an array of digests`);
  upstream.forEach((d, i) => {
    if (typeof d !== 'string' || !HEX_DIGEST.test(d))
      throw new Error(
        `stageDigest: upstream[${i}] of stage "${stage}" is not a lowercase hex digest: ${JSON.stringify(d)}`,
      );
  });
  return sha256Hex(canonicalJson({ stage, version, inputs, upstream }));
}

/** sha256 of a value's canonical JSON: the same data always gives the same digest. */
export function contentDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
