// The stage output protocol (DESIGN.md "Artifacts, caching and resume"): a stage writes its files
// under <experiment>/<stage>/<digest>/, then _manifest.json LAST. A manifest means "complete";
// files without one are a half-written attempt that the next attempt overwrites (not deletes:
// a training stage keeps its resumable checkpoints there).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { z } from 'zod';
import type { ArtifactStore } from './artifactStore';
import { checkBytes, checkContentHash, verifyStoredObject, withContentHash } from './integrity';
import { IntegrityError } from '../../contracts/errors';

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
  /** sha256 of the manifest's canonical JSON without this field (lib/store/integrity.ts): covers the
   * metrics, which no file does. Manifests written before 2026-12 lack it and count as unverified. */
  contentSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
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

/**
 * The manifest under a stage prefix, or undefined when the stage never completed there. Checked on
 * read: its schema, its content hash (metrics included) and its digest against the prefix; a
 * manifest that fails, or carries no content hash (written before bgbias verified manifests), is an
 * IntegrityError naming the object. Its files are checked by verifyStageFiles.
 */
export async function readManifest(store: ArtifactStore, prefix: string): Promise<Manifest | undefined> {
  const key = `${prefix}/${MANIFEST_NAME}`;
  if (!(await store.exists(key))) return undefined;
  const object = `s3://${store.bucket}/${key}`;
  const raw = await store.getJson(key);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new IntegrityError(object, 'manifest', 'a JSON object', JSON.stringify(raw).slice(0, 40));
  if (checkContentHash(raw as Record<string, unknown>, object) === 'unhashed')
    throw new IntegrityError(
      object,
      'content hash',
      'a contentSha256 field',
      'none',
      'written before bgbias verified manifests, so its metrics cannot be trusted; the stage is recomputed',
    );
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success)
    throw new IntegrityError(
      object,
      'schema',
      'a stage manifest',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  const manifest = parsed.data;
  const digest = prefix.split('/').pop();
  if (manifest.digest !== digest)
    throw new IntegrityError(
      object,
      'digest',
      String(digest),
      manifest.digest,
      `manifest digest ${manifest.digest} does not match its prefix digest ${digest}`,
    );
  for (const f of manifest.files)
    if (!f.key.startsWith(`${prefix}/`)) throw new IntegrityError(object, 'file key', `under ${prefix}/`, f.key);
  return manifest;
}

/** Every file a manifest lists, streamed through sha256 and checked against it (IntegrityError). */
export async function verifyStageFiles(store: ArtifactStore, manifest: Manifest): Promise<void> {
  for (const f of manifest.files) {
    if (!(await store.exists(f.key)))
      throw new IntegrityError(`s3://${store.bucket}/${f.key}`, 'presence', 'the file', 'no such object');
    await verifyStoredObject(store, f.key, f);
  }
}

/**
 * One file of a completed stage, read and checked against the sha256 its (verified) manifest lists:
 * the file's key must sit directly under the stage prefix (`<experiment>/<stage>/<digest>/<name>`).
 */
export async function readVerifiedStageFile(store: ArtifactStore, key: string): Promise<Buffer> {
  const object = `s3://${store.bucket}/${key}`;
  const prefix = key.split('/').slice(0, 3).join('/');
  const manifest = await readManifest(store, prefix);
  const entry = manifest?.files.find((f) => f.key === key);
  if (!entry) throw new IntegrityError(object, 'manifest entry', `a file of ${prefix}/${MANIFEST_NAME}`, 'not listed');
  const buf = await store.getBuffer(key);
  checkBytes(buf, object, entry);
  return buf;
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
    // Through JSON before hashing: the hash covers exactly the stored text (undefined metrics vanish).
    const content = JSON.parse(
      JSON.stringify({
        digest: this.ref.digest,
        stage: this.ref.stage,
        files: this.written(),
        metrics,
        timings,
        createdAt: new Date().toISOString(),
      }),
    ) as Record<string, unknown>;
    const manifest = manifestSchema.parse(withContentHash(content));
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
 * Returns the stage's manifest without calling produce when the stage already completed and its
 * manifest and files verify; otherwise runs produce with a writer and commits (manifest last). A
 * stage that fails verification counts as not cached: `onCorrupt` hears why, and produce overwrites
 * it. If produce throws, no manifest is written and the next call runs produce again.
 */
export async function runCached(
  store: ArtifactStore,
  ref: StageRef,
  produce: (writer: StageWriter) => Promise<ProduceResult>,
  onCorrupt?: (err: IntegrityError) => void,
): Promise<{ manifest: Manifest; cached: boolean; corrupt?: IntegrityError }> {
  const prefix = stagePrefix(ref);
  let corrupt: IntegrityError | undefined;
  try {
    const existing = await readManifest(store, prefix);
    if (existing) {
      await verifyStageFiles(store, existing);
      return { manifest: existing, cached: true };
    }
  } catch (err) {
    if (!(err instanceof IntegrityError)) throw err;
    corrupt = err;
    onCorrupt?.(err);
  }
  const writer = new StageWriter(store, ref);
  const started = Date.now();
  const result = await produce(writer);
  if (writer.committed) return { manifest: writer.committed, cached: false, corrupt }; // produce committed itself
  if (!result || typeof result !== 'object' || typeof result.metrics !== 'object' || result.metrics === null) {
    throw new Error(`stage ${prefix}: produce must resolve to { metrics, timings? }`);
  }
  const manifest = await writer.commit(result.metrics, { ...result.timings, totalMs: Date.now() - started });
  return { manifest, cached: false, corrupt };
}
