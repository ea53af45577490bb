/**
 * The prepared-dataset shard: a few hundred encoded images with their soft masks and labels in one
 * object, so GPU workers on other machines stream a handful of large objects into a local cache
 * instead of extracting archives (DESIGN.md, "Artifacts").
 *
 * Layout: "BGSH" magic, uint32 LE header length, UTF-8 JSON header, then the concatenated payloads.
 * Images stay encoded (JPEG/PNG) to keep shards small; decoding happens in the worker.
 */
export interface ShardItem {
  /** Stable id within the dataset (e.g. the image's relative path). */
  id: string;
  /** Class label, 0-based within the dataset. */
  label: number;
  /** Encoded image (JPEG or PNG), already resized to the prepared short side. */
  image: Buffer;
  /** Encoded 8-bit greyscale PNG soft mask at the image's size. */
  mask: Buffer;
}

interface HeaderEntry {
  id: string;
  label: number;
  image: [number, number];
  mask: [number, number];
}

const MAGIC = Buffer.from('BGSH');

export function encodeShard(items: readonly ShardItem[]): Buffer {
  const entries: HeaderEntry[] = [];
  let offset = 0;
  for (const it of items) {
    if (!Number.isInteger(it.label) || it.label < 0) throw new Error(`shard item ${it.id}: invalid label ${it.label}`);
    entries.push({
      id: it.id,
      label: it.label,
      image: [offset, it.image.length],
      mask: [offset + it.image.length, it.mask.length],
    });
    offset += it.image.length + it.mask.length;
  }
  const header = Buffer.from(JSON.stringify(entries), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  return Buffer.concat([MAGIC, len, header, ...items.flatMap((it) => [it.image, it.mask])]);
}

/** Where a shard's items are: parsed from its first bytes (magic, header length, JSON header). */
export interface ShardLayout {
  entries: ShardHeaderEntry[];
  /** Byte offset of the payloads: entry offsets are relative to it. */
  payloadStart: number;
}

export type ShardHeaderEntry = HeaderEntry;

/** Bytes a reader needs before it knows the header's length. */
export const SHARD_PREFIX_BYTES = 8;

/** The header length from the first SHARD_PREFIX_BYTES bytes (throws on a bad magic). */
export function shardHeaderLength(prefix: Buffer, source = 'shard'): number {
  if (prefix.length < SHARD_PREFIX_BYTES || !prefix.subarray(0, 4).equals(MAGIC))
    throw new Error(`${source}: not a bgbias shard (bad magic)`);
  return prefix.readUInt32LE(4);
}

/** The layout from the shard's first SHARD_PREFIX_BYTES + header length bytes (or the whole shard). */
export function parseShardLayout(head: Buffer, totalBytes: number, source = 'shard'): ShardLayout {
  const headerLength = shardHeaderLength(head, source);
  const payloadStart = SHARD_PREFIX_BYTES + headerLength;
  if (payloadStart > head.length || payloadStart > totalBytes) throw new Error(`${source}: truncated shard header`);
  const entries = JSON.parse(head.subarray(SHARD_PREFIX_BYTES, payloadStart).toString('utf8')) as HeaderEntry[];
  for (const e of entries) {
    if (payloadStart + e.mask[0] + e.mask[1] > totalBytes)
      throw new Error(`${source}: truncated payload for item ${e.id}`);
  }
  return { entries, payloadStart };
}

export function decodeShard(buf: Buffer, source = 'shard'): ShardItem[] {
  const { entries, payloadStart: base } = parseShardLayout(buf, buf.length, source);
  return entries.map((e) => ({
    id: e.id,
    label: e.label,
    image: buf.subarray(base + e.image[0], base + e.image[0] + e.image[1]),
    mask: buf.subarray(base + e.mask[0], base + e.mask[0] + e.mask[1]),
  }));
}
