/**
 * The audit's protocol table: per protocol MAP@R, P@1 and R-Precision (x100) as
 * mean ± std over background repetitions (std only where backgrounds were drawn) and the bootstrap
 * interval over queries; BG-Gap as its own row when both mixed protocols ran.
 */
import { formatNumber, renderHtmlTable, renderTable, type TableModel } from '../tableModel';
import type { AuditReport } from './auditReportSchema';

const METRICS = [
  ['mapAtR', 'MAP@R'],
  ['precisionAt1', 'P@1'],
  ['rPrecision', 'R-Precision'],
] as const;

const pct = (v: number) => formatNumber(v * 100, 2);

export function auditTableModel(report: AuditReport): TableModel {
  const ci = `${Math.round(report.confidence * 100)}% CI`;
  const columns = [
    { label: 'reps' },
    ...METRICS.flatMap(([, label]) => [
      { label: 'mean ± std', group: label },
      { label: ci, group: label },
    ]),
  ];
  const rows: TableModel['rows'] = report.rows.map((r) => ({
    label: r.protocol,
    values: [
      { kind: 'text' as const, text: String(r.repetitions) },
      ...METRICS.flatMap(([m]) => {
        const v = r[m];
        return [
          { kind: 'text' as const, text: v.std === null ? pct(v.mean) : `${pct(v.mean)} ± ${pct(v.std)}` },
          { kind: 'text' as const, text: `[${pct(v.lower)}, ${pct(v.upper)}]` },
        ];
      }),
    ],
  }));
  if (report.bgGap) {
    const gap = report.bgGap;
    rows.push({
      label: 'BG-Gap (mixed-same − mixed-rand)',
      values: [
        { kind: 'text', text: '' },
        ...METRICS.flatMap(([m]) => [
          { kind: 'text' as const, text: pct(gap[m].estimate) },
          { kind: 'text' as const, text: `[${pct(gap[m].lower)}, ${pct(gap[m].upper)}]` },
        ]),
      ],
    });
  }
  return { stub: 'protocol', columns, rows, decimals: 2 };
}

export const renderAuditTableMarkdown = (report: AuditReport) => renderTable(auditTableModel(report), 'md');
export const renderAuditTableText = (report: AuditReport) => renderTable(auditTableModel(report), 'text');
export const renderAuditTableHtml = (report: AuditReport) => renderHtmlTable(auditTableModel(report));

/** The input convention as a two-column table (every field, defaults filled in). */
export function conventionTableModel(report: AuditReport): TableModel {
  return {
    stub: 'field',
    columns: [{ label: 'value' }],
    rows: Object.entries(report.model.convention).map(([k, v]) => ({
      label: k,
      values: [{ kind: 'text' as const, text: Array.isArray(v) ? v.join(', ') : String(v) }],
    })),
    decimals: 0,
  };
}
