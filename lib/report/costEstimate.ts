/**
 * The full run's cost, from a rehearsal's own measured times (`bgbias run --rehearse`): each
 * measured unit (a training step, a validation image, a test image pass, an attributed image, a
 * mask) times the full run's count of it. Device-hours on the device that ran the rehearsal, one
 * stage at a time; early stopping decides the real epoch count, so every figure is given for the
 * minimum (patience + 1 epochs) and for an assumed typical count, both named in the result.
 */
import { z } from 'zod';

/** Seconds per unit, measured by the rehearsal (means over its cells). */
export interface MeasuredUnits {
  /** One training step (forward, backward, update) of the last rehearsal epoch. */
  stepSeconds: number;
  /** One validation image (its clean and swapped passes). */
  valSecondsPerImage: number;
  /** One test image in one pass (clean or one swapped repetition). */
  testSecondsPerImagePass: number;
  /** One attributed image (all SmoothGrad copies); absent when no attribution ran. */
  attributionSecondsPerImage?: number;
}

export interface FullDataset {
  dataset: string;
  /** Full split sizes (images). */
  val: number;
  test: number;
  /** Images masked by u2net (every split), and the measured seconds per mask (absent: not measured). */
  maskImages: number;
  maskSecondsPerImage?: number;
  /** Grid cells of this dataset in the full run (losses x modes x seeds). */
  cells: number;
}

export interface FullPlan {
  iterationsPerEpoch: number;
  patience: number;
  maxEpochs: number;
  typicalEpochs: number;
  validateBeforeTraining: boolean;
  swappedRepetitions: number;
  /** Attributed images per model; absent: the whole test split. */
  attributionImages?: number;
}

export const CostEstimateSchema = z.strictObject({
  /** The device the rehearsal measured on (the training backend's). */
  device: z.string(),
  epochs: z.strictObject({ minimum: z.number().int().min(1), typical: z.number().int().min(1), why: z.string() }),
  measured: z.strictObject({
    stepSeconds: z.number().min(0),
    valSecondsPerImage: z.number().min(0),
    testSecondsPerImagePass: z.number().min(0),
    attributionSecondsPerImage: z.number().min(0).nullable(),
  }),
  datasets: z.array(
    z.strictObject({
      dataset: z.string(),
      cells: z.number().int().min(0),
      cellHours: z.strictObject({ minimum: z.number().min(0), typical: z.number().min(0) }),
      /** null: no mask time was measured (masks restored from the store). */
      maskHours: z.number().min(0).nullable(),
    }),
  ),
  grid: z.strictObject({
    cells: z.number().int().min(0),
    hours: z.strictObject({ minimum: z.number(), typical: z.number() }),
  }),
});
export type CostEstimate = z.infer<typeof CostEstimateSchema>;

/** Seconds of one cell trained for `epochs` epochs, then tested and attributed. */
export function cellSeconds(u: MeasuredUnits, d: FullDataset, plan: FullPlan, epochs: number): number {
  const validation = u.valSecondsPerImage * d.val;
  const epoch = u.stepSeconds * plan.iterationsPerEpoch + validation;
  const test = u.testSecondsPerImagePass * d.test * (1 + plan.swappedRepetitions);
  const attributed = Math.min(plan.attributionImages ?? d.test, d.test);
  const attribution = (u.attributionSecondsPerImage ?? 0) * attributed;
  return epochs * epoch + (plan.validateBeforeTraining ? validation : 0) + test + attribution;
}

export function estimateCost(
  device: string,
  u: MeasuredUnits,
  datasets: readonly FullDataset[],
  plan: FullPlan,
  typicalWhy: string,
): CostEstimate {
  const minimum = Math.min(plan.maxEpochs, plan.patience + 1);
  const typical = Math.min(plan.maxEpochs, Math.max(minimum, plan.typicalEpochs));
  const hours = (s: number) => s / 3600;
  const rows = datasets.map((d) => ({
    dataset: d.dataset,
    cells: d.cells,
    cellHours: {
      minimum: hours(cellSeconds(u, d, plan, minimum)),
      typical: hours(cellSeconds(u, d, plan, typical)),
    },
    maskHours: d.maskSecondsPerImage === undefined ? null : hours(d.maskSecondsPerImage * d.maskImages),
  }));
  const gridHours = (k: 'minimum' | 'typical') =>
    rows.reduce((t, r) => t + r.cells * r.cellHours[k] + (r.maskHours ?? 0), 0);
  return {
    device,
    epochs: { minimum, typical, why: typicalWhy },
    measured: {
      stepSeconds: u.stepSeconds,
      valSecondsPerImage: u.valSecondsPerImage,
      testSecondsPerImagePass: u.testSecondsPerImagePass,
      attributionSecondsPerImage: u.attributionSecondsPerImage ?? null,
    },
    datasets: rows,
    grid: {
      cells: rows.reduce((t, r) => t + r.cells, 0),
      hours: { minimum: gridHours('minimum'), typical: gridHours('typical') },
    },
  };
}

const h = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

/** The estimate as the CLI prints it and tables.md shows it (plain lines). */
export function formatCostEstimate(e: CostEstimate): string[] {
  const m = e.measured;
  const lines = [
    `Cost estimate of the full run on ${e.device || 'this device'} (device-hours, one stage at a time), ` +
      `from this rehearsal's measured times:`,
    `  measured: ${m.stepSeconds.toFixed(3)} s/train step, ${m.valSecondsPerImage.toFixed(4)} s/val image, ` +
      `${m.testSecondsPerImagePass.toFixed(4)} s/test image pass` +
      (m.attributionSecondsPerImage === null ? '' : `, ${m.attributionSecondsPerImage.toFixed(3)} s/attributed image`),
    `  epochs: minimum ${e.epochs.minimum} (patience + 1), typical ${e.epochs.typical} (${e.epochs.why})`,
  ];
  for (const d of e.datasets)
    lines.push(
      `  ${d.dataset}: ${h(d.cellHours.minimum)} h per cell at ${e.epochs.minimum} epochs, ` +
        `${h(d.cellHours.typical)} h at ${e.epochs.typical}; ${d.cells} cells; masks ` +
        (d.maskHours === null ? 'not measured (none computed in this rehearsal)' : `${h(d.maskHours)} h`),
    );
  lines.push(
    `  grid (${e.grid.cells} cells + masks): ${h(e.grid.hours.minimum)} h at ${e.epochs.minimum} epochs, ` +
      `${h(e.grid.hours.typical)} h at ${e.epochs.typical} epochs`,
  );
  return lines;
}
