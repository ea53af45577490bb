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
 *
 * Why one flat update: per parameter this is ~16 small ops, and on the 'tensorflow' backend each op
 * costs ~15-50 us of dispatch whatever its size (the small CNN's 10 parameters: ~4.5 ms of a 65 ms
 * step; BN-Inception has ~230). So all parameters (and their buffers) are updated as ONE flat vector:
 * gradients and parameters are flattened and concatenated, the update runs once, and SplitV hands the
 * new values back. Every element sees exactly the same float32 operations in the same order as a
 * per-parameter update, so the result is bitwise the same; only the dispatch count changes.
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

/** The flat optimiser buffers: element i of each belongs to the parameter whose slot covers i. */
interface FlatBuffers {
  squareAvg: tf.Variable;
  momentumBuffer?: tf.Variable;
  gradAvg?: tf.Variable;
}

/** Where one parameter lives in the flat vectors. */
interface Slot {
  variable: tf.Variable;
  group: number;
  offset: number;
  size: number;
  /** Whether it ever had a gradient (torch creates its state on the first step with a gradient). */
  hasState: boolean;
}

export class TorchRMSprop {
  readonly options: Required<RMSpropOptions>;
  private readonly groups: ParamGroup[];
  private readonly byName = new Map<string, { variable: tf.Variable; group: number }>();
  /** Every parameter of every group, in group order: the layout of the flat buffers. */
  private readonly slots: Slot[] = [];
  private readonly total: number;
  private buffers: FlatBuffers | undefined;
  /** Per-element learning rates when the groups' rates differ (rebuilt after setLr). */
  private lrVector: tf.Tensor1D | undefined;
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
    if (!Array.isArray(groups) || groups.length === 0)
      throw new Error('RMSprop: at least one parameter group is required');
    let offset = 0;
    this.groups = groups.map((g, i) => {
      if (!(Number.isFinite(g.lr) && g.lr >= 0))
        throw new Error(`RMSprop: group ${i} lr must be a finite number >= 0, got ${g.lr}`);
      for (const v of g.params) {
        if (v.dtype !== 'float32')
          throw new Error(`RMSprop: parameter ${v.name} in group ${i} is ${v.dtype}, expected float32`);
        const seen = this.byName.get(v.name);
        if (seen) throw new Error(`RMSprop: parameter ${v.name} appears in groups ${seen.group} and ${i}`);
        this.byName.set(v.name, { variable: v, group: i });
        this.slots.push({ variable: v, group: i, offset, size: v.size, hasState: false });
        offset += v.size;
      }
      return { params: [...g.params], lr: g.lr };
    });
    this.total = offset;
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
    this.lrVector?.dispose();
    this.lrVector = undefined;
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
        throw new Error(
          `RMSprop: gradient for ${name} has shape [${g.shape}], parameter has [${entry.variable.shape}]`,
        );
      }
    }
    for (const s of this.slots) if (grads[s.variable.name] !== undefined) s.hasState = true;
    const slots = this.slots.filter((s) => s.size > 0);
    const present = slots.map((s) => grads[s.variable.name] !== undefined);
    if (!present.some(Boolean)) {
      this.steps++;
      return;
    }
    const state = this.flatBuffers();
    const lr = this.learningRate();
    const { alpha, eps, weightDecay, momentum, centered } = this.options;
    tf.tidy(() => {
      const flat = (t: tf.Tensor) => tf.reshape(t, [-1]);
      const p = tf.concat(slots.map((s) => flat(s.variable)));
      let g: tf.Tensor = tf.concat(
        slots.map((s, i) => (present[i] ? flat(grads[s.variable.name]) : tf.zeros([s.size]))),
      );
      // Parameters without a gradient keep their values and buffers exactly (where(mask, new, old)).
      const allPresent = present.every(Boolean);
      const mask = allPresent
        ? undefined
        : tf.concat(slots.map((s, i) => tf.fill([s.size], present[i] ? 1 : 0, 'bool')));
      const keep = (updated: tf.Tensor, old: tf.Tensor) => (mask ? tf.where(mask, updated, old) : updated);
      if (weightDecay !== 0) g = tf.add(g, tf.mul(p, weightDecay));
      const v = tf.add(tf.mul(state.squareAvg, alpha), tf.mul(tf.square(g), 1 - alpha));
      state.squareAvg.assign(keep(v, state.squareAvg));
      let avg: tf.Tensor;
      if (centered) {
        const ga = tf.add(tf.mul(state.gradAvg!, alpha), tf.mul(g, 1 - alpha));
        state.gradAvg!.assign(keep(ga, state.gradAvg!));
        avg = tf.add(tf.sqrt(tf.sub(v, tf.square(ga))), eps);
      } else {
        avg = tf.add(tf.sqrt(v), eps);
      }
      let updated: tf.Tensor;
      if (momentum > 0) {
        const buf = tf.add(tf.mul(state.momentumBuffer!, momentum), tf.div(g, avg));
        state.momentumBuffer!.assign(keep(buf, state.momentumBuffer!));
        updated = tf.sub(p, tf.mul(buf, lr));
      } else {
        updated = tf.sub(p, tf.mul(tf.div(g, avg), lr));
      }
      const pieces = tf.split(
        keep(updated, p),
        slots.map((s) => s.size),
      );
      slots.forEach((s, i) => {
        if (present[i]) s.variable.assign(tf.reshape(pieces[i], s.variable.shape));
      });
    });
    this.steps++;
  }

  /** Everything a checkpoint needs to resume: step count, options, groups, buffers on the host. */
  async getState(): Promise<RMSpropState> {
    const buffers: Record<string, RMSpropParamState> = {};
    if (this.buffers) {
      const b = this.buffers;
      const [squareAvg, momentumBuffer, gradAvg] = await Promise.all(
        [b.squareAvg, b.momentumBuffer, b.gradAvg].map((t) =>
          t ? (t.data() as Promise<Float32Array>) : Promise.resolve(undefined),
        ),
      );
      for (const s of this.slots) {
        if (!s.hasState) continue;
        const part = (a: Float32Array | undefined) => a?.slice(s.offset, s.offset + s.size);
        const st: RMSpropParamState = { shape: [...s.variable.shape], squareAvg: part(squareAvg)! };
        if (momentumBuffer) st.momentumBuffer = part(momentumBuffer);
        if (gradAvg) st.gradAvg = part(gradAvg);
        buffers[s.variable.name] = st;
      }
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
      throw new Error(
        `RMSprop.setState: parameter groups differ: state has ${JSON.stringify(theirs)}, optimiser has ` +
          `${JSON.stringify(names)}`,
      );
    }
    for (const key of Object.keys(this.options) as Array<keyof RMSpropOptions>) {
      if (state.options[key] !== this.options[key]) {
        throw new Error(
          `RMSprop.setState: option ${key} is ${state.options[key]} in the state, ${this.options[key]} here`,
        );
      }
    }
    if (!Number.isInteger(state.step) || state.step < 0)
      throw new Error(`RMSprop.setState: invalid step ${state.step}`);
    const slotOf = new Map(this.slots.map((s) => [s.variable.name, s]));
    const host = {
      squareAvg: new Float32Array(this.total),
      momentumBuffer: this.options.momentum > 0 ? new Float32Array(this.total) : undefined,
      gradAvg: this.options.centered ? new Float32Array(this.total) : undefined,
    };
    const restored = new Set<string>();
    for (const [name, s] of Object.entries(state.buffers)) {
      const slot = slotOf.get(name);
      if (!slot) throw new Error(`RMSprop.setState: buffers for ${name}, which is in no parameter group`);
      if (!tf.util.arraysEqual(s.shape, slot.variable.shape)) {
        throw new Error(`RMSprop.setState: ${name} has shape [${s.shape}] in the state, [${slot.variable.shape}] here`);
      }
      for (const field of ['squareAvg', 'momentumBuffer', 'gradAvg'] as const) {
        const target = host[field];
        if (!target) continue;
        const values = s[field];
        if (!values || values.length !== slot.size) {
          throw new Error(
            `RMSprop.setState: ${name}.${field} has ${values?.length ?? 'no'} values, expected ${slot.size}`,
          );
        }
        target.set(values, slot.offset);
      }
      restored.add(name);
    }
    // Validated: only now replace the current state.
    this.disposeBuffers();
    const make = (values: Float32Array | undefined) =>
      values ? tf.tidy(() => tf.variable(tf.tensor1d(values, 'float32'), false)) : undefined;
    this.buffers = {
      squareAvg: make(host.squareAvg)!,
      momentumBuffer: make(host.momentumBuffer),
      gradAvg: make(host.gradAvg),
    };
    for (const s of this.slots) s.hasState = restored.has(s.variable.name);
    this.steps = state.step;
  }

  dispose(): void {
    this.disposeBuffers();
    for (const s of this.slots) s.hasState = false;
  }

  private disposeBuffers(): void {
    if (this.buffers) {
      this.buffers.squareAvg.dispose();
      this.buffers.momentumBuffer?.dispose();
      this.buffers.gradAvg?.dispose();
      this.buffers = undefined;
    }
    this.lrVector?.dispose();
    this.lrVector = undefined;
  }

  private groupAt(i: number): ParamGroup {
    const g = this.groups[i];
    if (!g) throw new Error(`RMSprop: no parameter group ${i} (have ${this.groups.length})`);
    return g;
  }

  /** Zero buffers for every parameter, made on the first step. */
  private flatBuffers(): FlatBuffers {
    if (!this.buffers) {
      const zeros = () => tf.tidy(() => tf.variable(tf.zeros([this.total]), false));
      this.buffers = { squareAvg: zeros() };
      if (this.options.momentum > 0) this.buffers.momentumBuffer = zeros();
      if (this.options.centered) this.buffers.gradAvg = zeros();
    }
    return this.buffers;
  }

  /** The groups' learning rate: a number when they agree, else one float32 rate per element. */
  private learningRate(): number | tf.Tensor1D {
    const rates = this.groups.map((g) => g.lr);
    if (rates.every((r) => r === rates[0])) return rates[0];
    if (!this.lrVector) {
      const values = new Float32Array(this.total);
      for (const s of this.slots) values.fill(this.groups[s.group].lr, s.offset, s.offset + s.size);
      this.lrVector = tf.tensor1d(values, 'float32');
    }
    return this.lrVector;
  }
}
