/**
 * Tables 1 and 2 when the experiment ran several seeds (`seeds` with more than one entry): per loss
 * the mean over seeds with its 95% t-interval (lib/util/intervals.ts meanInterval), for the base
 * model and for BGAugment, and the paired difference BGAugment − base over the seeds both trained
 * (pairedDifference: the same seed's two models share their initialisation and sampling, so pairing
 * removes that shared variation). Per seed, Table 1 uses the clean MAP@R and the swapped MAP@R's mean
 * over background repetitions; Table 2 the attention score's mean. Values x100 in Table 1, as the
 * paper's; a cell reads "mean [lower, upper] (n)". One seed has no interval: "mean (n=1)".
 */
import { meanInterval, pairedDifference, type MeanInterval } from '../util/intervals';
import type { Report, ReportCell } from './schema';
import { formatNumber, type TableModel, type TableValue } from './tableModel';

export const seedsOf = (cells: readonly ReportCell[]) => [...new Set(cells.map((c) => c.seed))].sort((a, b) => a - b);

type Value = (c: ReportCell) => number | undefined;

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function show(i: MeanInterval, scale: number, decimals: number): string {
  const f = (v: number) => formatNumber(v * scale, decimals);
  if (i.lower === null || i.upper === null) return `${f(i.mean)} (n=${i.n})`;
  return `${f(i.mean)} [${f(i.lower)}, ${f(i.upper)}] (n=${i.n})`;
}

/** Per seed, in seed order: the value of the one cell (dataset, loss, mode, seed), skipping missing or non-finite ones. */
function perSeed(cells: readonly ReportCell[], dataset: string, loss: string, mode: ReportCell['mode'], value: Value) {
  const out = new Map<number, number>();
  for (const c of cells) {
    if (c.dataset !== dataset || c.loss !== loss || c.mode !== mode) continue;
    if (out.has(c.seed)) {
      throw new Error(
        `report has two cells for dataset=${dataset} loss=${loss} mode=${mode} seed=${c.seed}: expected one`,
      );
    }
    const v = value(c);
    if (v !== undefined && Number.isFinite(v)) out.set(c.seed, v);
  }
  return out;
}

const missing: TableValue = { kind: 'missing' };
const text = (t: string): TableValue => ({ kind: 'text', text: t });

function aggregateModel(
  cells: readonly ReportCell[],
  columns: Array<{ label: string; group?: string; dataset: string; value: Value }>,
  scale: number,
  decimals: number,
  confidence: number,
): TableModel {
  const rows: TableModel['rows'] = [];
  for (const loss of unique(cells.map((c) => c.loss))) {
    const base = columns.map((col) => perSeed(cells, col.dataset, loss, 'base', col.value));
    const bga = columns.map((col) => perSeed(cells, col.dataset, loss, 'bgaugment', col.value));
    const interval = (m: Map<number, number>) =>
      m.size === 0 ? missing : text(show(meanInterval([...m.values()], confidence), scale, decimals));
    if (base.some((m) => m.size > 0)) rows.push({ label: loss, values: base.map(interval) });
    if (bga.some((m) => m.size > 0)) rows.push({ label: `${loss} + BGAugment`, values: bga.map(interval) });
    if (base.some((m) => m.size > 0) && bga.some((m) => m.size > 0)) {
      rows.push({
        label: `${loss}: BGAugment − base (paired)`,
        values: columns.map((_, k) => {
          const seeds = [...base[k].keys()].filter((s) => bga[k].has(s)).sort((a, b) => a - b);
          if (seeds.length === 0) return missing;
          const d = pairedDifference(
            seeds.map((s) => base[k].get(s)!),
            seeds.map((s) => bga[k].get(s)!),
            confidence,
          );
          return text(show(d, scale, decimals));
        }),
      });
    }
  }
  return {
    stub: 'Loss',
    decimals,
    columns: columns.map((c) => ({ label: c.label, ...(c.group ? { group: c.group } : {}) })),
    rows,
  };
}

export function seedTable1Model(report: Report, confidence = 0.95): TableModel {
  const datasets = unique(report.cells.map((c) => c.dataset));
  return aggregateModel(
    report.cells,
    datasets.flatMap((d) => [
      { label: 'clean', group: d, dataset: d, value: (c: ReportCell) => c.clean.mapAtR },
      { label: 'swapped', group: d, dataset: d, value: (c: ReportCell) => c.swapped.mapAtR.mean },
    ]),
    100,
    2,
    confidence,
  );
}

export function seedTable2Model(report: Report, confidence = 0.95): TableModel {
  const withAttention = report.cells.filter((c) => c.attention);
  const datasets = unique(withAttention.map((c) => c.dataset));
  return aggregateModel(
    withAttention,
    datasets.map((d) => ({ label: d, dataset: d, value: (c: ReportCell) => c.attention?.mean })),
    1,
    2,
    confidence,
  );
}
