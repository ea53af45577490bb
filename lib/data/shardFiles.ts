/**
 * A split's items read straight from its local shard files, one item at a time: only the headers are
 * read up front (ids, labels, byte ranges), and each image and mask is read (pread) and decoded when a
 * batch needs it. Memory stays bounded by what the caller keeps, whatever the split's size (SOP's
 * 120k images never sit in memory, encoded or decoded).
 *
 * Reads are synchronous: an item is a few tens of kilobytes from the page cache, and the input
 * pipeline's worker threads have nothing else to do meanwhile (decoding stays asynchronous, in sharp).
 */
import * as fs from 'node:fs';
import { decodeGray, decodeRgb, type DecodedItem } from './decodeShards';
import { parseShardLayout, shardHeaderLength, SHARD_PREFIX_BYTES } from './shardFormat';

const MAX_OPEN_FILES = 32;

interface ItemLocation {
  file: number;
  image: [number, number];
  mask: [number, number];
}

export class ShardFiles {
  readonly labels: Int32Array;
  private readonly ids_: string[] = [];
  private readonly where: ItemLocation[] = [];
  /** Open descriptors by file index, least recently used first (bounded: SOP has hundreds of shards). */
  private readonly fds = new Map<number, number>();

  /** Reads the headers of `files` (in order: item i of the split is the i-th item over all of them). */
  constructor(readonly files: readonly string[]) {
    const labels: number[] = [];
    files.forEach((file, f) => {
      const fd = this.fd(f);
      const size = fs.fstatSync(fd).size;
      const prefix = readAt(fd, 0, SHARD_PREFIX_BYTES, file);
      const head = readAt(fd, 0, SHARD_PREFIX_BYTES + shardHeaderLength(prefix, file), file);
      const { entries, payloadStart } = parseShardLayout(head, size, file);
      for (const e of entries) {
        this.ids_.push(e.id);
        labels.push(e.label);
        this.where.push({
          file: f,
          image: [payloadStart + e.image[0], e.image[1]],
          mask: [payloadStart + e.mask[0], e.mask[1]],
        });
      }
    });
    this.labels = Int32Array.from(labels);
  }

  get length(): number {
    return this.where.length;
  }

  /** Every item's id, in split order (from the headers). */
  get ids(): readonly string[] {
    return this.ids_;
  }

  id(i: number): string {
    return this.ids_[this.check(i)];
  }

  /** Shard file and id of item i, for messages. */
  describe(i: number): string {
    const w = this.where[i];
    return w ? `item ${i} (${this.ids_[i]} in ${this.files[w.file]})` : `item ${i}`;
  }

  /** Item i decoded (RGB image and soft mask of the same size), errors naming the item and its file. */
  async read(i: number): Promise<DecodedItem> {
    const item = await this.readImage(i);
    const w = this.where[i];
    const what = this.describe(i);
    const mask = await decodeGray(readAt(this.fd(w.file), w.mask[0], w.mask[1], this.files[w.file]), `${what} (mask)`);
    if (item.image.width !== mask.width || item.image.height !== mask.height) {
      throw new Error(
        `${what}: mask is ${mask.width}x${mask.height} but the image is ${item.image.width}x${item.image.height}`,
      );
    }
    return { ...item, mask };
  }

  /** Item i without its mask (a plain training batch does not use it: one decode fewer). */
  async readImage(i: number): Promise<Omit<DecodedItem, 'mask'>> {
    const w = this.where[this.check(i)];
    const what = this.describe(i);
    const image = await decodeRgb(readAt(this.fd(w.file), w.image[0], w.image[1], this.files[w.file]), what);
    return { id: this.ids_[i], label: this.labels[i], image };
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }

  private check(i: number): number {
    if (!(Number.isInteger(i) && i >= 0 && i < this.where.length)) {
      throw new Error(`no item ${i}: the split has ${this.where.length} (${this.files.length} shard files)`);
    }
    return i;
  }

  private fd(f: number): number {
    const open = this.fds.get(f);
    if (open !== undefined) {
      this.fds.delete(f);
      this.fds.set(f, open);
      return open;
    }
    let fd: number;
    try {
      fd = fs.openSync(this.files[f], 'r');
    } catch (e) {
      throw new Error(`cannot open shard file ${this.files[f]}: ${(e as Error).message}`, { cause: e });
    }
    this.fds.set(f, fd);
    if (this.fds.size > MAX_OPEN_FILES) {
      const [oldest, oldFd] = this.fds.entries().next().value as [number, number];
      fs.closeSync(oldFd);
      this.fds.delete(oldest);
    }
    return fd;
  }
}

function readAt(fd: number, position: number, length: number, file: string): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`${file}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return buf;
}
