import { ValidationError } from '../../contracts/errors';
import { Rng, type RngState } from '../util/rng';

export interface MPerClassSamplerOptions {
  /** Images per class in a batch. */
  m: number;
  batchSize: number;
  /** Requested epoch length in images; rounded down to a multiple of batchSize as PML does. */
  lengthBeforeNewIter: number;
  /** The sampler copies this generator's state and draws from its own copy from then on. */
  rng: Rng;
}

/**
 * PML 1.x MPerClassSampler (with batch_size given), on our seeded RNG:
 * - an epoch is `length` = lengthBeforeNewIter - (lengthBeforeNewIter % batchSize) indices;
 * - each batch: the classes are shuffled and the first batchSize/m taken; each contributes m
 *   consecutive indices drawn without replacement from its images, or with replacement when it has
 *   fewer than m (PML's safe_random_choice).
 * PML shuffles one persistent class list in place, so its order carries over between batches; we
 * shuffle a fresh copy of the sorted class list each batch. A uniform shuffle of any order is uniform,
 * so the batches have the same distribution, and the whole sampler state is the RNG state.
 * PML's checks hold: batchSize a multiple of m, m * classes >= batchSize, lengthBeforeNewIter >= batchSize.
 */
export class MPerClassSampler {
  readonly m: number;
  readonly batchSize: number;
  /** Indices per epoch (PML's len(sampler)). */
  readonly length: number;
  /** Distinct labels, ascending. */
  readonly classes: readonly number[];
  private readonly indicesOfClass: ReadonlyArray<readonly number[]>;
  private rng: Rng;

  constructor(labels: readonly number[], opts: MPerClassSamplerOptions) {
    const { m, batchSize, lengthBeforeNewIter } = opts;
    for (const [key, v] of [
      ['m', m],
      ['batchSize', batchSize],
      ['lengthBeforeNewIter', lengthBeforeNewIter],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new ValidationError(`MPerClassSampler: ${key} must be a positive integer, got ${v}`);
    }
    if (!Array.isArray(labels) || labels.length === 0)
      throw new ValidationError('MPerClassSampler: labels must be a non-empty array');
    const byClass = new Map<number, number[]>();
    labels.forEach((label, i) => {
      if (!Number.isInteger(label))
        throw new ValidationError(`MPerClassSampler: label at index ${i} is ${label}, expected an integer`);
      let list = byClass.get(label);
      if (!list) byClass.set(label, (list = []));
      list.push(i);
    });
    this.classes = [...byClass.keys()].sort((a, b) => a - b);
    this.indicesOfClass = this.classes.map((c) => byClass.get(c)!);
    if (batchSize % m !== 0) {
      throw new ValidationError(`MPerClassSampler: batchSize ${batchSize} is not a multiple of m ${m}`);
    }
    if (m * this.classes.length < batchSize) {
      throw new ValidationError(
        `MPerClassSampler: ${this.classes.length} classes x m ${m} = ${m * this.classes.length} images, fewer than ` +
          `batchSize ${batchSize} (need at least ${batchSize / m} classes)`,
      );
    }
    if (lengthBeforeNewIter < batchSize) {
      throw new ValidationError(
        `MPerClassSampler: lengthBeforeNewIter ${lengthBeforeNewIter} is smaller than batchSize ${batchSize}`,
      );
    }
    this.m = m;
    this.batchSize = batchSize;
    this.length = lengthBeforeNewIter - (lengthBeforeNewIter % batchSize);
    this.rng = Rng.fromState(opts.rng.state());
  }

  /** A sampler in exactly the state another one had (for resuming from a checkpoint). */
  static fromState(
    labels: readonly number[],
    opts: Omit<MPerClassSamplerOptions, 'rng'>,
    state: RngState,
  ): MPerClassSampler {
    return new MPerClassSampler(labels, { ...opts, rng: Rng.fromState(state) });
  }

  get batchesPerEpoch(): number {
    return this.length / this.batchSize;
  }

  /** The RNG state: with the labels and options, all a checkpoint needs to continue the same stream. */
  state(): RngState {
    return this.rng.state();
  }

  /** One epoch's index list, as PML's __iter__ yields it (class blocks of m, batch after batch). */
  epochIndices(): number[] {
    const out: number[] = [];
    const classesPerBatch = this.batchSize / this.m;
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      for (const c of this.firstShuffled(classesPerBatch)) out.push(...this.choose(this.indicesOfClass[c]));
    }
    return out;
  }

  /** One epoch as batches of batchSize indices. */
  batches(): number[][] {
    const all = this.epochIndices();
    const out: number[][] = [];
    for (let i = 0; i < all.length; i += this.batchSize) out.push(all.slice(i, i + this.batchSize));
    return out;
  }

  /** The first k entries of a uniform shuffle of the class positions (partial Fisher-Yates). */
  private firstShuffled(k: number): number[] {
    const order = this.classes.map((_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.rng.uniform() * (order.length - i));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order.slice(0, k);
  }

  /** m indices of one class: without replacement, or with it when the class is smaller than m. */
  private choose(indices: readonly number[]): number[] {
    const n = indices.length;
    if (n < this.m) return Array.from({ length: this.m }, () => indices[Math.floor(this.rng.uniform() * n)]);
    const pool = [...indices];
    for (let i = 0; i < this.m; i++) {
      const j = i + Math.floor(this.rng.uniform() * (n - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, this.m);
  }
}
