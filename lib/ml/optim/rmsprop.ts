import * as tf from '@tensorflow/tfjs';

/**
 * RMSprop with PyTorch 1.13 semantics (torch.optim.RMSprop, _single_tensor_rmsprop), which the
 * paper's reference trains with. tfjs's own tf.train.rmsprop differs (decay 0.9 default, eps inside
 * the square root, no weight decay), so it cannot stand in. Per parameter p with gradient g:
 *   g += weightDecay * p
 *   v  = alpha * v + (1 - alpha) * g^2
 *   centered: ga = alpha * ga + (1 - alpha) * g;  avg = sqrt(v - ga^2) + eps   else avg = sqrt(v) + eps
 *   momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf
 *   momentum = 0: p -= lr * g / avg
 * Buffers start at zero on a parameter's first step; a parameter without a gradient is skipped (its
 * buffers do not decay), as torch skips parameters whose .grad is None.
 */
export interface ParamGroup {
  params: tf.Variable[];
  lr: number;
}

export interface RMSpropOptions {
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

/** One parameter's buffers, host-side, for checkpoints. */
export interface RMSpropParamState {
  shape: number[];
  squareAvg: Float32Array;
  momentumBuffer?: Float32Array;
  gradAvg?: Float32Array;
}

export interface RMSpropState {
  /** Optimiser steps taken so far. */
  step: number;
  options: Required<RMSpropOptions>;
  /** Learning rate and parameter (variable) names per group, in order. */
  groups: Array<{ lr: number; params: string[] }>;
  /** Buffers keyed by variable name; parameters that never had a gradient have none. */
  buffers: Record<string, RMSpropParamState>;
}

interface Buffers {
  squareAvg: tf.Variable;
  momentumBuffer?: tf.Variable;
  gradAvg?: tf.Variable;
}

export class TorchRMSprop {
  readonly options: Required<RMSpropOptions>;
  private readonly groups: ParamGroup[];
  private readonly byName = new Map<string, { variable: tf.Variable; group: number }>();
  private readonly buffers = new Map<string, Buffers>();
  private steps = 0;

  constructor(groups: ParamGroup[], options: RMSpropOptions = {}) {
    this.options = {
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
    };
    const o = this.options;
    if (!(o.alpha >= 0 && o.alpha <= 1)) throw new Error(`RMSprop: alpha must be in [0, 1], got ${o.alpha}`);
    if (!(o.eps >= 0)) throw new Error(`RMSprop: eps must be >= 0, got ${o.eps}`);
    if (!(o.weightDecay >= 0)) throw new Error(`RMSprop: weightDecay must be >= 0, got ${o.weightDecay}`);
    if (!(o.momentum >= 0)) throw new Error(`RMSprop: momentum must be >= 0, got ${o.momentum}`);
    if (!Array.isArray(groups) || groups.length === 0) throw new Error('RMSprop: at least one parameter group is required');
    this.groups = groups.map((g, i) => {
      if (!(Number.isFinite(g.lr) && g.lr >= 0)) throw new Error(`RMSprop: group ${i} lr must be a finite number >= 0, got ${g.lr}`);
      for (const v of g.params) {
        if (v.dtype !== 'float32') throw new Error(`RMSprop: parameter ${v.name} in group ${i} is ${v.dtype}, expected float32`);
        const seen = this.byName.get(v.name);
        if (seen) throw new Error(`RMSprop: parameter ${v.name} appears in groups ${seen.group} and ${i}`);
        this.byName.set(v.name, { variable: v, group: i });
      }
      return { params: [...g.params], lr: g.lr };
    });
  }

  get stepCount(): number {
    return this.steps;
  }

  /** Learning rate of group i (e.g. for logging). */
  lr(group: number): number {
    return this.groupAt(group).lr;
  }

  setLr(group: number, lr: number): void {
    if (!(Number.isFinite(lr) && lr >= 0)) throw new Error(`RMSprop: lr must be a finite number >= 0, got ${lr}`);
    this.groupAt(group).lr = lr;
  }

  /**
   * One update. `grads` maps variable NAME to its gradient, exactly what tf.variableGrads(f).grads
   * returns. Parameters missing from the map are skipped; a name that is no parameter of this
   * optimiser, or a gradient of the wrong shape, is an error. The gradients stay the caller's to dispose.
   */
  step(grads: tf.NamedTensorMap): void {
    for (const [name, g] of Object.entries(grads)) {
      const entry = this.byName.get(name);
      if (!entry) throw new Error(`RMSprop: gradient for ${name}, which is in no parameter group`);
      if (!tf.util.arraysEqual(g.shape, entry.variable.shape)) {
        throw new Error(`RMSprop: gradient for ${name} has shape [${g.shape}], parameter has [${entry.variable.shape}]`);
      }
    }
    const { alpha, eps, weightDecay, momentum, centered } = this.options;
    for (const group of this.groups) {
      for (const p of group.params) {
        const grad = grads[p.name];
        if (grad === undefined) continue;
        const state = this.buffersFor(p);
        tf.tidy(() => {
          const g = weightDecay !== 0 ? tf.add(grad, tf.mul(p, weightDecay)) : grad;
          const v = tf.add(tf.mul(state.squareAvg, alpha), tf.mul(tf.square(g), 1 - alpha));
          state.squareAvg.assign(v);
          let avg: tf.Tensor;
          if (centered) {
            const ga = tf.add(tf.mul(state.gradAvg!, alpha), tf.mul(g, 1 - alpha));
            state.gradAvg!.assign(ga);
            avg = tf.add(tf.sqrt(tf.sub(v, tf.square(ga))), eps);
          } else {
            avg = tf.add(tf.sqrt(v), eps);
          }
          if (momentum > 0) {
            const buf = tf.add(tf.mul(state.momentumBuffer!, momentum), tf.div(g, avg));
            state.momentumBuffer!.assign(buf);
            p.assign(tf.sub(p, tf.mul(buf, group.lr)));
          } else {
            p.assign(tf.sub(p, tf.mul(tf.div(g, avg), group.lr)));
          }
        });
      }
    }
    this.steps++;
  }

  /** Everything a checkpoint needs to resume: step count, options, groups, buffers on the host. */
  async getState(): Promise<RMSpropState> {
    const buffers: Record<string, RMSpropParamState> = {};
    for (const [name, b] of this.buffers) {
      const s: RMSpropParamState = { shape: [...b.squareAvg.shape], squareAvg: (await b.squareAvg.data()) as Float32Array };
      if (b.momentumBuffer) s.momentumBuffer = (await b.momentumBuffer.data()) as Float32Array;
      if (b.gradAvg) s.gradAvg = (await b.gradAvg.data()) as Float32Array;
      buffers[name] = s;
    }
    return {
      step: this.steps,
      options: { ...this.options },
      groups: this.groups.map((g) => ({ lr: g.lr, params: g.params.map((p) => p.name) })),
      buffers,
    };
  }

  /**
   * Restores getState()'s output. The groups must hold the same variable names in the same order, and
   * the options must match: a resumed run with different settings is an error, not a silent change.
   */
  setState(state: RMSpropState): void {
    const names = this.groups.map((g) => g.params.map((p) => p.name));
    const theirs = state.groups.map((g) => g.params);
    if (JSON.stringify(names) !== JSON.stringify(theirs)) {
      throw new Error(`RMSprop.setState: parameter groups differ: state has ${JSON.stringify(theirs)}, optimiser has ${JSON.stringify(names)}`);
    }
    for (const key of Object.keys(this.options) as Array<keyof RMSpropOptions>) {
      if (state.options[key] !== this.options[key]) {
        throw new Error(`RMSprop.setState: option ${key} is ${state.options[key]} in the state, ${this.options[key]} here`);
      }
    }
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`RMSprop.setState: invalid step ${state.step}`);
    const restored = new Map<string, Buffers>();
    try {
      for (const [name, s] of Object.entries(state.buffers)) {
        const entry = this.byName.get(name);
        if (!entry) throw new Error(`RMSprop.setState: buffers for ${name}, which is in no parameter group`);
        if (!tf.util.arraysEqual(s.shape, entry.variable.shape)) {
          throw new Error(`RMSprop.setState: ${name} has shape [${s.shape}] in the state, [${entry.variable.shape}] here`);
        }
        const size = tf.util.sizeFromShape(s.shape);
        const make = (field: string, values: Float32Array | undefined, wanted: boolean): tf.Variable | undefined => {
          if (!wanted) return undefined;
          if (!values || values.length !== size) {
            throw new Error(`RMSprop.setState: ${name}.${field} has ${values?.length ?? 'no'} values, expected ${size}`);
          }
          return tf.tidy(() => tf.variable(tf.tensor(values, s.shape, 'float32'), false));
        };
        const b: Buffers = { squareAvg: make('squareAvg', s.squareAvg, true)! };
        restored.set(name, b);
        b.momentumBuffer = make('momentumBuffer', s.momentumBuffer, this.options.momentum > 0);
        b.gradAvg = make('gradAvg', s.gradAvg, this.options.centered);
      }
    } catch (err) {
      for (const b of restored.values()) disposeBuffers(b);
      throw err;
    }
    for (const b of this.buffers.values()) disposeBuffers(b);
    this.buffers.clear();
    for (const [name, b] of restored) this.buffers.set(name, b);
    this.steps = state.step;
  }

  dispose(): void {
    for (const b of this.buffers.values()) disposeBuffers(b);
    this.buffers.clear();
  }

  private groupAt(i: number): ParamGroup {
    const g = this.groups[i];
    if (!g) throw new Error(`RMSprop: no parameter group ${i} (have ${this.groups.length})`);
    return g;
  }

  private buffersFor(p: tf.Variable): Buffers {
    let b = this.buffers.get(p.name);
    if (!b) {
      const zeros = () => tf.variable(tf.zerosLike(p), false);
      b = { squareAvg: tf.tidy(zeros) };
      if (this.options.momentum > 0) b.momentumBuffer = tf.tidy(zeros);
      if (this.options.centered) b.gradAvg = tf.tidy(zeros);
      this.buffers.set(p.name, b);
    }
    return b;
  }
}

function disposeBuffers(b: Buffers): void {
  b.squareAvg.dispose();
  b.momentumBuffer?.dispose();
  b.gradAvg?.dispose();
}
