/**
 * Where one grid cell's training keeps its checkpoints: beside the stage output, under names the
 * manifest never lists (`checkpoint/latest.bgwt`, `checkpoint/best.bgwt`), so a retried attempt on
 * any machine finds them by the stage's digest. Each file has a digest file beside it
 * (`<name>.sha256`: {sha256, bytes}), written AFTER it, and the same digest as `<name>.sha256.next`
 * written BEFORE it: a process killed between the file and its digest leaves a complete new file
 * (an S3 PUT is atomic) that its `.next` digest still vouches for, so the resumed training uses it. A
 * checkpoint that neither digest vouches for (a damaged write, an edit) is ignored, and the training
 * starts from scratch rather than from damaged weights.
 */
import { z } from 'zod';
import type { ArtifactStore } from '../../lib/store/artifactStore';
import { sha256Hex } from '../../lib/store/digest';
import { checkBytes } from '../../lib/store/integrity';
import { IntegrityError } from '../../contracts/errors';
import { encodeCheckpoint, restoreCheckpoint } from '../../lib/ml/checkpoint/trainingCheckpoint';
import { decodeTensorFile } from '../../lib/ml/checkpoint/tensorFile';
import { encodeWeights } from '../../lib/ml/checkpoint/weights';
import type { CellModel } from '../buildCell';
import type { TrainingState } from '../../lib/ml/train/trainingState';

/** The store operations checkpoints need (an ArtifactStore; tests pass a map). */
export type CheckpointStore = Pick<ArtifactStore, 'exists' | 'getBuffer' | 'putBuffer'>;

const DigestFileSchema = z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.int().nonnegative() });

export const digestKeyOf = (key: string) => `${key}.sha256`;
/** The digest announced before the file is written (see the module comment). */
export const nextDigestKeyOf = (key: string) => `${key}.sha256.next`;

export class CellCheckpoints {
  constructor(
    private readonly store: CheckpointStore,
    /** Full store keys of the newest checkpoint and of the best weights. */
    readonly latestKey: string,
    readonly bestKey: string,
    private readonly cell: Pick<CellModel, 'model' | 'loss' | 'optimizer'>,
    /** Hears why a stored checkpoint was not used. */
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /**
   * Restores the newest checkpoint into the cell's model, loss and optimizer; undefined when there is
   * none or it does not verify (then the model is untouched: a fresh start). A checkpoint whose best
   * epoch's weights do not verify is not used either: resuming from it would end without them.
   */
  async restoreLatest(): Promise<TrainingState | undefined> {
    const latest = await this.readVerified(this.latestKey);
    if (!latest) return undefined;
    let bestEpoch: number | undefined;
    let epoch: number | undefined;
    try {
      const state = (decodeTensorFile(latest, this.latestKey).meta as { state?: TrainingState }).state;
      bestEpoch = state?.bestEpoch;
      epoch = state?.epoch;
    } catch (err) {
      this.log(`checkpoint ${this.latestKey} not used (${(err as Error).message}); training starts from scratch`);
      return undefined;
    }
    if (bestEpoch !== undefined && bestEpoch >= 1) {
      const best = await this.readVerified(this.bestKey);
      const epochOfBest = best
        ? (decodeTensorFile(best, this.bestKey).meta as { epoch?: number } | undefined)?.epoch
        : undefined;
      // Killed between an improved epoch's best weights and its checkpoint (save() writes them in that
      // order, and the two uploads take a noticeable share of a short epoch): the best file is one
      // epoch ahead. The resumed run redoes that epoch with the same draws and rewrites the same best
      // weights; bestWeights() refuses the file at the end if that did not happen.
      const bestOfRedoneEpoch = epoch !== undefined && epochOfBest === epoch + 1;
      if (epochOfBest !== bestEpoch && !bestOfRedoneEpoch) {
        if (best)
          this.log(
            `checkpoint ${this.latestKey} not used: its best epoch is ${bestEpoch}, ${this.bestKey} holds epoch ` +
              `${epochOfBest}; training starts from scratch`,
          );
        else
          this.log(
            `checkpoint ${this.latestKey} not used: its best weights do not verify; training starts from scratch`,
          );
        return undefined;
      }
    }
    const { model, loss, optimizer } = this.cell;
    return restoreCheckpoint(latest, this.latestKey, model, loss, optimizer);
  }

  /**
   * Persists the end of an epoch. The best weights go first: a process killed between the two writes
   * resumes from the previous checkpoint and redoes the epoch, rewriting the same best weights; the
   * other order could leave a checkpoint of epoch e beside the best weights of an earlier epoch. Each
   * file's digest follows it.
   */
  async save(state: TrainingState, improved: boolean): Promise<void> {
    const { model, loss, optimizer } = this.cell;
    if (improved) await this.putVerifiable(this.bestKey, await encodeWeights(model, loss, { epoch: state.epoch }));
    await this.putVerifiable(this.latestKey, await encodeCheckpoint(model, loss, optimizer, state));
  }

  /**
   * The best weights' file, verified (after training: the stage output copies it); with `epoch`, it
   * must hold that epoch's weights (the state's best epoch), never those of another.
   */
  async bestWeights(epoch?: number): Promise<Buffer> {
    const buf = await this.store.getBuffer(this.bestKey);
    const digest = await this.readDigest(this.bestKey);
    if (!digest) throw new IntegrityError(this.bestKey, 'digest file', digestKeyOf(this.bestKey), 'missing or invalid');
    checkBytes(buf, this.bestKey, { sha256: digest.sha256, size: digest.bytes });
    if (epoch !== undefined) {
      const held = (decodeTensorFile(buf, this.bestKey).meta as { epoch?: number } | undefined)?.epoch;
      if (held !== epoch) throw new IntegrityError(this.bestKey, 'best epoch', `epoch ${epoch}`, `epoch ${held}`);
    }
    return buf;
  }

  private async putVerifiable(key: string, buf: Buffer): Promise<void> {
    const digest = Buffer.from(JSON.stringify({ sha256: sha256Hex(buf), bytes: buf.length }) + '\n');
    await this.store.putBuffer(nextDigestKeyOf(key), digest);
    await this.store.putBuffer(key, buf);
    await this.store.putBuffer(digestKeyOf(key), digest);
  }

  private async readDigest(
    key: string,
    dkey = digestKeyOf(key),
  ): Promise<z.infer<typeof DigestFileSchema> | undefined> {
    if (!(await this.store.exists(dkey))) return undefined;
    try {
      return DigestFileSchema.parse(JSON.parse((await this.store.getBuffer(dkey)).toString('utf8')));
    } catch {
      return undefined;
    }
  }

  /** The file when it and its digest file agree; otherwise undefined, with the reason logged. */
  private async readVerified(key: string): Promise<Buffer | undefined> {
    if (!(await this.store.exists(key))) return undefined;
    const digest = await this.readDigest(key);
    if (!digest) {
      this.log(`checkpoint file ${key} not used: its digest file ${digestKeyOf(key)} is missing or invalid`);
      return undefined;
    }
    const buf = await this.store.getBuffer(key);
    try {
      checkBytes(buf, key, { sha256: digest.sha256, size: digest.bytes });
    } catch (err) {
      // Killed after the file and before its digest: the digest announced before it vouches for it.
      const next = await this.readDigest(key, nextDigestKeyOf(key));
      if (next && next.bytes === buf.length && next.sha256 === sha256Hex(buf)) return buf;
      this.log(`checkpoint file ${key} not used: ${(err as Error).message}`);
      return undefined;
    }
    return buf;
  }
}
