// The stage output protocol (DESIGN.md "Artifacts, caching and resume"): a stage writes its files
// under <experiment>/<stage>/<digest>/, then _manifest.json LAST. A manifest means "complete";
// files without one are a half-written attempt that the next attempt overwrites (not deletes:
// a training stage keeps its resumable checkpoints there).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { z } from 'zod';
import type { ArtifactStore } from './artifactStore';

export const MANIFEST_NAME = '_manifest.json';

export const manifestFileSchema = z.object({
  name: z.string().min(1),
  key: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export const manifestSchema = z.object({
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  stage: z.string().min(1),
  files: z.array(manifestFileSchema),
  metrics: z.record(z.string(), z.unknown()),
  /** milliseconds per named phase */
  timings: z.record(z.string(), z.number()),
  createdAt: z.string(),
});
export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof manifestFileSchema>;

export interface StageRef {
  experiment: string;
  stage: string;
  digest: string;
}

const NAME_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** "<experiment>/<stage>/<digest>" after checking each part. */
export function stagePrefix(ref: StageRef): string {
  if (!NAME_SEGMENT.test(ref.experiment))
    throw new Error(`experiment id ${JSON.stringify(ref.experiment)}: use letters, digits, '.', '_' or '-' (no '/')`);
  if (!NAME_SEGMENT.test(ref.stage))
    throw new Error(`stage name ${JSON.stringify(ref.stage)}: use letters, digits, '.', '_' or '-' (no '/')`);
  if (!/^[0-9a-f]{64}$/.test(ref.digest))
    throw new Error(
      `stage digest ${JSON.stringify(ref.digest)} of ${ref.experiment}/${ref.stage}: expected 64 lowercase hex ` +
        `characters (sha256)`,
    );
  return `${ref.experiment}/${ref.stage}/${ref.digest}`;
}

/** The manifest under a stage prefix, or undefined when the stage never completed there. */
export async function readManifest(store: ArtifactStore, prefix: string): Promise<Manifest | undefined> {
  const key = `${prefix}/${MANIFEST_NAME}`;
  if (!(await store.exists(key))) return undefined;
  const manifest = await store.getJson(key, manifestSchema);
  const digest = prefix.split('/').pop();
  if (manifest.digest !== digest)
    throw new Error(
      `s3://${store.bucket}/${key}: manifest digest ${manifest.digest} does not match its prefix digest ${digest}`,
    );
  return manifest;
}

/** Hashes and counts bytes as they flow through. */
class Measure extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }
}

/** Writes one stage's files under its prefix and records size + sha256 of each for the manifest. */
export class StageWriter {
  readonly prefix: string;
  private readonly files = new Map<string, ManifestFile>();
  private manifest: Manifest | undefined;

  constructor(
    readonly store: ArtifactStore,
    readonly ref: StageRef,
  ) {
    this.prefix = stagePrefix(ref);
  }

  /** Object key of a file of this stage (for reading back partial outputs such as checkpoints). */
  keyOf(name: string): string {
    if (
      typeof name !== 'string' ||
      name === '' ||
      name.startsWith('/') ||
      name.split('/').some((s) => s === '' || s === '.' || s === '..')
    ) {
      throw new Error(
        `output name ${JSON.stringify(name)} of ${this.prefix}: must be a relative path without '.', '..' or empty ` +
          `segments`,
      );
    }
    if (name === MANIFEST_NAME)
      throw new Error(`output name ${MANIFEST_NAME} of ${this.prefix} is reserved for the manifest`);
    return `${this.prefix}/${name}`;
  }

  async putStream(name: string, stream: Readable, size?: number): Promise<ManifestFile> {
    this.assertOpen(name);
    const key = this.keyOf(name);
    const measure = new Measure();
    stream.once('error', (err) => measure.destroy(err));
    await this.store.putStream(key, stream.pipe(measure), size);
    if (size !== undefined && measure.size !== size)
      throw new Error(`${key}: stream gave ${measure.size} bytes, expected ${size}`);
    const entry: ManifestFile = { name, key, size: measure.size, sha256: measure.hash.digest('hex') };
    this.files.set(name, entry); // writing a name again replaces its entry
    return entry;
  }

  async putBuffer(name: string, buf: Buffer): Promise<ManifestFile> {
    this.assertOpen(name);
    const key = this.keyOf(name);
    await this.store.putBuffer(key, buf);
    const entry: ManifestFile = { name, key, size: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
    this.files.set(name, entry);
    return entry;
  }

  async putFile(name: string, localPath: string): Promise<ManifestFile> {
    let size: number;
    try {
      size = fs.statSync(localPath).size;
    } catch (err) {
      throw new Error(
        `output ${name} of ${this.prefix}: cannot read local file ${localPath}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return this.putStream(name, fs.createReadStream(localPath), size);
  }

  async putJson(name: string, value: unknown): Promise<ManifestFile> {
    const text = JSON.stringify(value, null, 2);
    if (text === undefined) throw new Error(`output ${name} of ${this.prefix}: value has no JSON form`);
    return this.putBuffer(name, Buffer.from(text + '\n', 'utf8'));
  }

  /** The files written so far, in name order. */
  written(): ManifestFile[] {
    return [...this.files.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Writes _manifest.json (the last write of the stage); afterwards the writer accepts nothing. */
  async commit(metrics: Record<string, unknown>, timings: Record<string, number>): Promise<Manifest> {
    if (this.manifest) throw new Error(`${this.prefix} is already committed`);
    const manifest = manifestSchema.parse({
      digest: this.ref.digest,
      stage: this.ref.stage,
      files: this.written(),
      metrics,
      timings,
      createdAt: new Date().toISOString(),
    });
    await this.store.putJson(`${this.prefix}/${MANIFEST_NAME}`, manifest);
    this.manifest = manifest;
    return manifest;
  }

  get committed(): Manifest | undefined {
    return this.manifest;
  }

  private assertOpen(name: string): void {
    if (this.manifest) throw new Error(`cannot write ${name}: ${this.prefix} is already committed`);
  }
}

export interface ProduceResult {
  metrics: Record<string, unknown>;
  timings?: Record<string, number>;
}

/**
 * Returns the stage's manifest without calling produce when the stage already completed;
 * otherwise runs produce with a writer and commits (manifest last). If produce throws, no manifest
 * is written and the next call runs produce again.
 */
export async function runCached(
  store: ArtifactStore,
  ref: StageRef,
  produce: (writer: StageWriter) => Promise<ProduceResult>,
): Promise<{ manifest: Manifest; cached: boolean }> {
  const prefix = stagePrefix(ref);
  const existing = await readManifest(store, prefix);
  if (existing) return { manifest: existing, cached: true };
  const writer = new StageWriter(store, ref);
  const started = Date.now();
  const result = await produce(writer);
  if (writer.committed) return { manifest: writer.committed, cached: false }; // produce committed itself
  if (!result || typeof result !== 'object' || typeof result.metrics !== 'object' || result.metrics === null) {
    throw new Error(`stage ${prefix}: produce must resolve to { metrics, timings? }`);
  }
  const manifest = await writer.commit(result.metrics, { ...result.timings, totalMs: Date.now() - started });
  return { manifest, cached: false };
}
