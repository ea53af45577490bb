/**
 * Where one grid cell's training keeps its checkpoints: beside the stage output, under names the
 * manifest never lists (`checkpoint/latest.bgwt`, `checkpoint/best.bgwt`), so a retried attempt on
 * any machine finds them by the stage's digest.
 */
import type { ArtifactStore } from '../../lib/store/artifactStore';
import { encodeCheckpoint, restoreCheckpoint } from '../../lib/ml/checkpoint/trainingCheckpoint';
import { encodeWeights } from '../../lib/ml/checkpoint/weights';
import type { CellModel } from '../buildCell';
import type { TrainingState } from '../../lib/ml/train/trainingState';

/** The store operations checkpoints need (an ArtifactStore; tests pass a map). */
export type CheckpointStore = Pick<ArtifactStore, 'exists' | 'getBuffer' | 'putBuffer'>;

export class CellCheckpoints {
  constructor(
    private readonly store: CheckpointStore,
    /** Full store keys of the newest checkpoint and of the best weights. */
    readonly latestKey: string,
    readonly bestKey: string,
    private readonly cell: Pick<CellModel, 'model' | 'loss' | 'optimizer'>,
  ) {}

  /** Restores the newest checkpoint into the cell's model, loss and optimizer; undefined when none. */
  async restoreLatest(): Promise<TrainingState | undefined> {
    if (!(await this.store.exists(this.latestKey))) return undefined;
    const { model, loss, optimizer } = this.cell;
    return restoreCheckpoint(await this.store.getBuffer(this.latestKey), this.latestKey, model, loss, optimizer);
  }

  /**
   * Persists the end of an epoch. The best weights go first: a process killed between the two writes
   * resumes from the previous checkpoint and redoes the epoch, rewriting the same best weights; the
   * other order could leave a checkpoint of epoch e beside the best weights of an earlier epoch.
   */
  async save(state: TrainingState, improved: boolean): Promise<void> {
    const { model, loss, optimizer } = this.cell;
    if (improved) await this.store.putBuffer(this.bestKey, await encodeWeights(model, loss, { epoch: state.epoch }));
    await this.store.putBuffer(this.latestKey, await encodeCheckpoint(model, loss, optimizer, state));
  }

  /** The best weights' file (after training: the stage output copies it). */
  bestWeights(): Promise<Buffer> {
    return this.store.getBuffer(this.bestKey);
  }
}
