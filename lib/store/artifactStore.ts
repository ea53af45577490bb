// The artifact store: one bucket on an S3-compatible server, accessed with the minio client.
// Every error names the operation, s3://bucket/key and the endpoint (never the secret key).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as Minio from 'minio';
import type { z } from 'zod';
import { createMinioClient, describeS3Endpoint, errorMessage, s3ErrorCode, type S3Endpoint } from './s3Endpoint';

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchObject']);

export class StoreError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
  get notFound(): boolean {
    return this.code !== undefined && NOT_FOUND_CODES.has(this.code);
  }
}

/** Object keys: relative, '/'-separated, no empty, '.' or '..' segments, no control characters. */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key === '')
    throw new Error(`invalid object key ${JSON.stringify(key)}: must be a non-empty string`);
  if (Buffer.byteLength(key) > 1024)
    throw new Error(`invalid object key ${JSON.stringify(key.slice(0, 80))}...: longer than 1024 bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key))
    throw new Error(`invalid object key ${JSON.stringify(key)}: control characters and backslashes are not allowed`);
  const segments = key.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(
      `invalid object key ${JSON.stringify(key)}: no leading/trailing/double '/', and no '.' or '..' segments`,
    );
  }
}

let partCounter = 0;

export class ArtifactStore {
  private readonly client: Minio.Client;
  /** "http://host:port", for messages. (The credentials are kept only inside the client.) */
  readonly where: string;
  private readonly region: string;

  private constructor(
    s3: S3Endpoint,
    readonly bucket: string,
  ) {
    this.client = createMinioClient(s3);
    this.where = describeS3Endpoint(s3);
    this.region = s3.region;
  }

  /** Connects and creates the bucket when it is missing. */
  static async open(s3: S3Endpoint, bucket: string): Promise<ArtifactStore> {
    const store = new ArtifactStore(s3, bucket);
    await store.ensureBucket();
    return store;
  }

  private async ensureBucket(): Promise<void> {
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      await this.client.makeBucket(this.bucket, this.region);
    } catch (err) {
      // Another process may have created it between the check and our request.
      const code = s3ErrorCode(err);
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return;
      throw new StoreError(
        `cannot open bucket "${this.bucket}" at ${this.where}: ${code ? `${code}: ` : ''}${errorMessage(err)}`,
        code,
        { cause: err },
      );
    }
  }

  private fail(op: string, key: string, err: unknown): StoreError {
    if (err instanceof StoreError) return err;
    const code = s3ErrorCode(err);
    const what =
      code !== undefined && NOT_FOUND_CODES.has(code)
        ? 'no such object'
        : `${code ? `${code}: ` : ''}${errorMessage(err)}`;
    return new StoreError(`${op} s3://${this.bucket}/${key} at ${this.where} failed: ${what}`, code, { cause: err });
  }

  async putBuffer(key: string, buf: Buffer): Promise<void> {
    assertValidKey(key);
    // A put can fail with EPIPE or ECONNRESET before the server has the object: seen on BN-Inception
    // checkpoint uploads (45 MB) in the rehearsal test on the loaded 2-core machine, 2026-12-01 (every
    // attempt of one cell in one run, one epoch in another), with nothing in MinIO's log. The likely
    // cause: a pooled keep-alive socket the server closed while synchronous tfjs ops blocked the event
    // loop, reused before its FIN was read. The bytes are in memory and a PUT of the same bytes is
    // idempotent, so it is sent again (a reused socket that failed is not pooled again).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.putObject(this.bucket, key, buf, buf.length);
        return;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt < 3 && (code === 'EPIPE' || code === 'ECONNRESET')) continue;
        throw this.fail('put', key, err);
      }
    }
  }

  /** Uploads a stream; with an unknown size the client uploads it in parts (multipart). */
  async putStream(key: string, stream: Readable, size?: number): Promise<void> {
    assertValidKey(key);
    if (size !== undefined && (!Number.isInteger(size) || size < 0))
      throw new Error(`putStream s3://${this.bucket}/${key}: size must be a non-negative integer, got ${size}`);
    // The client pipes the source without listening for its errors: a failing source would
    // leave the upload waiting forever. Race it, and drop the unfinished multipart upload.
    let onSourceError: (err: unknown) => void = () => undefined;
    const sourceFailed = new Promise<never>((_, reject) => {
      onSourceError = reject;
      stream.once('error', onSourceError);
    });
    try {
      await Promise.race([this.client.putObject(this.bucket, key, stream, size), sourceFailed]);
    } catch (err) {
      if (stream.errored) await this.client.removeIncompleteUpload(this.bucket, key).catch(() => undefined);
      throw this.fail('put', key, stream.errored ?? err);
    } finally {
      stream.off('error', onSourceError);
      sourceFailed.catch(() => undefined);
    }
  }

  async putFile(key: string, localPath: string): Promise<void> {
    assertValidKey(key);
    let size: number;
    try {
      size = fs.statSync(localPath).size;
    } catch (err) {
      throw new Error(`put s3://${this.bucket}/${key}: cannot read local file ${localPath}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    await this.putStream(key, fs.createReadStream(localPath), size);
  }

  /** Stores JSON (indented: manifests and metrics are read by people too). */
  async putJson(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value, null, 2);
    if (text === undefined) throw new Error(`putJson s3://${this.bucket}/${key}: value has no JSON form`);
    await this.putBuffer(key, Buffer.from(text + '\n', 'utf8'));
  }

  async getStream(key: string): Promise<Readable> {
    assertValidKey(key);
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (err) {
      throw this.fail('get', key, err);
    }
  }

  async getBuffer(key: string): Promise<Buffer> {
    const stream = await this.getStream(key);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch (err) {
      throw this.fail('get', key, err);
    }
    return Buffer.concat(chunks);
  }

  /** Parses the object as JSON and, given a zod schema, validates it (errors name key and field). */
  async getJson<T = unknown>(key: string, schema?: z.ZodType<T>): Promise<T> {
    const text = (await this.getBuffer(key)).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new StoreError(
        `s3://${this.bucket}/${key} at ${this.where} is not valid JSON: ${errorMessage(err)}`,
        'InvalidJson',
      );
    }
    if (!schema) return value as T;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
        .join('; ');
      throw new StoreError(
        `s3://${this.bucket}/${key} at ${this.where} does not match its schema: ${issues}`,
        'SchemaMismatch',
      );
    }
    return parsed.data;
  }

  /** Downloads to localPath atomically: into a .part file next to it, renamed when complete. */
  async download(key: string, localPath: string): Promise<void> {
    fs.mkdirSync(path.dirname(path.resolve(localPath)), { recursive: true });
    const part = `${localPath}.${process.pid}-${++partCounter}.part`;
    try {
      const stream = await this.getStream(key);
      await pipeline(stream, fs.createWriteStream(part));
      fs.renameSync(part, localPath);
    } catch (err) {
      fs.rmSync(part, { force: true });
      if (err instanceof StoreError) throw err;
      throw this.fail(`download to ${localPath}:`, key, err);
    }
  }

  async stat(key: string): Promise<{ size: number; etag: string; lastModified: Date } | undefined> {
    assertValidKey(key);
    try {
      const s = await this.client.statObject(this.bucket, key);
      return { size: s.size, etag: s.etag, lastModified: s.lastModified };
    } catch (err) {
      const code = s3ErrorCode(err);
      if (code !== undefined && NOT_FOUND_CODES.has(code)) return undefined;
      throw this.fail('stat', key, err);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  /** Every key under the prefix (all pages), sorted. */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    try {
      const stream = this.client.listObjectsV2(this.bucket, prefix, true);
      for await (const item of stream as AsyncIterable<{ name?: string }>) {
        if (item.name !== undefined) keys.push(item.name);
      }
    } catch (err) {
      throw this.fail('list', `${prefix}*`, err);
    }
    return keys.sort();
  }

  async remove(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (err) {
      throw this.fail('remove', key, err);
    }
  }
}
