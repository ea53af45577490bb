/**
 * The paper's tables from a report (docs/protocol.md section 12):
 * Table 1: MAP@R x 100, rows = loss and loss + BGAugment, columns = dataset x {clean, swapped},
 * swapped as mean ± sample std over the repetitions. Table 2: attention score mean ± std.
 * Mask quality: IoU and overlap summaries per dataset.
 * Row and column order follow the first appearance in report.cells, so the caller's grid order is kept.
 */
import type { Report, ReportCell } from './schema';
import { seedsOf, seedTable1Model, seedTable2Model } from './seedTables';
import { renderHtmlTable, renderTable, type TableFormat, type TableModel, type TableValue } from './tableModel';

const MODES = ['base', 'bgaugment'] as const;

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

interface RowKey {
  loss: string;
  mode: ReportCell['mode'];
  seed: number;
  label: string;
}

/** Rows (loss, mode, seed) in report order, base before BGAugment; the seed is named only when several appear. */
function rowKeys(cells: ReportCell[]): RowKey[] {
  const seeds = unique(cells.map((c) => c.seed)).sort((a, b) => a - b);
  const rows: RowKey[] = [];
  for (const loss of unique(cells.map((c) => c.loss))) {
    for (const mode of MODES) {
      for (const seed of seeds) {
        if (!cells.some((c) => c.loss === loss && c.mode === mode && c.seed === seed)) continue;
        const name = mode === 'base' ? loss : `${loss} + BGAugment`;
        rows.push({ loss, mode, seed, label: seeds.length > 1 ? `${name} (seed ${seed})` : name });
      }
    }
  }
  return rows;
}

/** The one cell for (dataset, row), or undefined; duplicates are an error naming the cell. */
function cellFor(cells: ReportCell[], dataset: string, row: RowKey): ReportCell | undefined {
  const found = cells.filter(
    (c) => c.dataset === dataset && c.loss === row.loss && c.mode === row.mode && c.seed === row.seed,
  );
  if (found.length > 1) {
    throw new Error(
      `report has ${found.length} cells for dataset=${dataset} loss=${row.loss} mode=${row.mode} seed=${row.seed}: ` +
        `expected one`,
    );
  }
  return found[0];
}

const missing: TableValue = { kind: 'missing' };

export function table1Model(report: Report): TableModel {
  // Several seeds: mean and 95% interval across seeds, and the paired BGAugment - base difference.
  if (seedsOf(report.cells).length > 1) return seedTable1Model(report);
  const datasets = unique(report.cells.map((c) => c.dataset));
  const rows = rowKeys(report.cells);
  return {
    stub: 'Loss',
    decimals: 2,
    columns: datasets.flatMap((d) => [
      { label: 'clean', group: d },
      { label: 'swapped', group: d, pm: true },
    ]),
    rows: rows.map((r) => ({
      label: r.label,
      values: datasets.flatMap((d): TableValue[] => {
        const c = cellFor(report.cells, d, r);
        if (!c) return [missing, missing];
        return [
          { kind: 'number', value: c.clean.mapAtR * 100 },
          { kind: 'pm', mean: c.swapped.mapAtR.mean * 100, std: c.swapped.mapAtR.std * 100 },
        ];
      }),
    })),
  };
}

export function table2Model(report: Report): TableModel {
  const withAttention = report.cells.filter((c) => c.attention);
  if (seedsOf(withAttention).length > 1) return seedTable2Model(report);
  const datasets = unique(withAttention.map((c) => c.dataset));
  return {
    stub: 'Loss',
    decimals: 2,
    columns: datasets.map((d) => ({ label: d, pm: true })),
    rows: rowKeys(withAttention).map((r) => ({
      label: r.label,
      values: datasets.map((d): TableValue => {
        const a = cellFor(withAttention, d, r)?.attention;
        return a ? { kind: 'pm', mean: a.mean, std: a.std } : missing;
      }),
    })),
  };
}

export function maskQualityModel(report: Report): TableModel {
  const stats = ['median', 'q1', 'q3', 'min', 'max'] as const;
  const metrics = [
    ['iou', 'IoU'],
    ['overlap', 'overlap'],
  ] as const;
  return {
    stub: 'Dataset',
    decimals: 2,
    columns: [
      { label: 'n' },
      ...metrics.flatMap(([, name]) => [
        { label: 'mean ± std', group: name, pm: true, csvLabels: [`${name} mean`, `${name} std`] as [string, string] },
        ...stats.map((s) => ({ label: s, group: name })),
      ]),
    ],
    rows: (report.maskQuality ?? []).map((m) => ({
      label: m.dataset,
      values: [
        { kind: 'text', text: String(m.n) } as TableValue,
        ...metrics.flatMap(([key]): TableValue[] => [
          { kind: 'pm', mean: m[key].mean, std: m[key].std },
          ...stats.map((s): TableValue => ({ kind: 'number', value: m[key][s] })),
        ]),
      ],
    })),
  };
}

export function renderTable1(report: Report, format: TableFormat): string {
  return renderTable(table1Model(report), format);
}

export function renderTable2(report: Report, format: TableFormat): string {
  return renderTable(table2Model(report), format);
}

export function renderMaskQualityTable(report: Report, format: TableFormat): string {
  return renderTable(maskQualityModel(report), format);
}

export { renderHtmlTable, type TableFormat };
