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

export function decodeShard(buf: Buffer, source = 'shard'): ShardItem[] {
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC)) throw new Error(`${source}: not a bgbias shard (bad magic)`);
  const headerLength = buf.readUInt32LE(4);
  if (8 + headerLength > buf.length) throw new Error(`${source}: truncated shard header`);
  const entries = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as HeaderEntry[];
  const base = 8 + headerLength;
  return entries.map((e) => {
    const end = base + e.mask[0] + e.mask[1];
    if (end > buf.length) throw new Error(`${source}: truncated payload for item ${e.id}`);
    return {
      id: e.id,
      label: e.label,
      image: buf.subarray(base + e.image[0], base + e.image[0] + e.image[1]),
      mask: buf.subarray(base + e.mask[0], base + e.mask[0] + e.mask[1]),
    };
  });
}
