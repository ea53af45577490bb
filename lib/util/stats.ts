/**
 * Descriptive statistics over plain number arrays, with numpy's conventions so that reported numbers
 * match the reference analysis scripts: `std` takes numpy's `ddof` (0 = population, 1 = sample) and
 * `quantile` uses numpy's default linear interpolation (position q*(n-1) in the sorted values).
 * Every function rejects empty input and non-finite values, so a NaN never turns silently into a
 * table entry.
 */

function checkValues(values: ArrayLike<number>, what: string): void {
  if (values.length === 0) throw new Error(`${what}: empty input`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw new Error(`${what}: value at index ${i} is ${values[i]}, expected a finite number`);
  }
}

export function mean(values: ArrayLike<number>): number {
  checkValues(values, 'mean');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Standard deviation sqrt(sum((x - mean)^2) / (n - ddof)); ddof 0 (population) or 1 (sample). */
export function std(values: ArrayLike<number>, ddof = 0): number {
  if (!Number.isInteger(ddof) || ddof < 0) throw new Error(`std: ddof must be a non-negative integer, got ${ddof}`);
  const m = mean(values);
  if (values.length - ddof <= 0) {
    throw new Error(`std: needs more than ddof=${ddof} values, got ${values.length}`);
  }
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i] - m) ** 2;
  return Math.sqrt(ss / (values.length - ddof));
}

export function min(values: ArrayLike<number>): number {
  checkValues(values, 'min');
  let m = Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] < m) m = values[i];
  return m;
}

export function max(values: ArrayLike<number>): number {
  checkValues(values, 'max');
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

/** numpy.quantile(values, q) with the default 'linear' method; q in [0, 1]. */
export function quantile(values: ArrayLike<number>, q: number): number {
  checkValues(values, 'quantile');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return sortedQuantile(sorted, q);
}

/** Several quantiles at once (one sort). */
export function quantiles(values: ArrayLike<number>, qs: readonly number[]): number[] {
  checkValues(values, 'quantiles');
  for (const q of qs) if (!(q >= 0 && q <= 1)) throw new Error(`quantiles: q must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  return qs.map((q) => sortedQuantile(sorted, q));
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/**
 * Linear interpolation between the two order statistics around position q*(n-1), written as numpy
 * does (`lerp` that is exact at both ends), on an ascending array.
 */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = pos - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  // numpy's _lerp: a + (b-a)*t, but b - (b-a)*(1-t) when t >= 0.5 (keeps monotonicity and exact ends).
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** Per-model reporting: mean and population standard deviation (ddof = 0), as the paper's Table 2. */
export function summarise(values: ArrayLike<number>): { mean: number; std: number } {
  return { mean: mean(values), std: std(values, 0) };
}
