/**
 * Multi-scale value noise (fractal Brownian motion) for photo-like background clutter: texture at
 * every scale, like the surfaces, foliage and shadows of real photos, so a background is not a
 * smooth field that a model can ignore trivially. Deterministic from the Rng it is built with.
 */
import type { Rng } from '../../util/rng';

/** One octave: random values on a (cells+2)^2 lattice, smoothly interpolated (smoothstep). */
class Lattice {
  private readonly values: Float64Array;
  private readonly side: number;

  constructor(
    rng: Rng,
    readonly cells: number,
  ) {
    this.side = cells + 2;
    this.values = new Float64Array(this.side * this.side);
    for (let i = 0; i < this.values.length; i++) this.values[i] = rng.uniform();
  }

  /** Value at (x, y), coordinates in lattice cells; wraps around so any real input is valid. */
  at(x: number, y: number): number {
    const s = this.side;
    const fx = Math.floor(x),
      fy = Math.floor(y);
    const tx = x - fx,
      ty = y - fy;
    const ix = ((fx % s) + s) % s,
      iy = ((fy % s) + s) % s;
    const jx = (ix + 1) % s,
      jy = (iy + 1) % s;
    const sx = tx * tx * (3 - 2 * tx),
      sy = ty * ty * (3 - 2 * ty);
    const v = this.values;
    const top = v[iy * s + ix] + (v[iy * s + jx] - v[iy * s + ix]) * sx;
    const bottom = v[jy * s + ix] + (v[jy * s + jx] - v[jy * s + ix]) * sx;
    return top + (bottom - top) * sy;
  }

  /** The raw lattice value at integer index (i, j) (wrapped): one random shade per tile. */
  cell(i: number, j: number): number {
    const s = this.side;
    const ix = ((i % s) + s) % s,
      iy = ((j % s) + s) % s;
    return this.values[iy * s + ix];
  }
}

/** fBm with `octaves` octaves from `baseCells` cells across the unit square, gain 0.5; result in 0..1. */
export class FractalNoise {
  private readonly octaves: Lattice[] = [];
  private readonly norm: number;

  constructor(rng: Rng, baseCells: number, octaves: number) {
    if (!(baseCells > 0) || !Number.isInteger(octaves) || octaves < 1) {
      throw new Error(`FractalNoise: baseCells ${baseCells} must be > 0 and octaves ${octaves} a positive integer`);
    }
    let norm = 0;
    for (let k = 0; k < octaves; k++) {
      this.octaves.push(new Lattice(rng, Math.ceil(baseCells * 2 ** k)));
      norm += 0.5 ** k;
    }
    this.norm = norm;
  }

  /** Value at unit-square coordinates (u, v) (any real values). */
  at(u: number, v: number): number {
    let s = 0;
    for (let k = 0; k < this.octaves.length; k++) {
      const o = this.octaves[k];
      s += o.at(u * o.cells + 0.37 * k, v * o.cells + 0.61 * k) * 0.5 ** k;
    }
    return s / this.norm;
  }

  /** A random value per integer index pair (i, j), from the finest octave's lattice (one shade per tile). */
  cell(i: number, j: number): number {
    return this.octaves[this.octaves.length - 1].cell(i, j);
  }
}
