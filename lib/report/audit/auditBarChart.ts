/**
 * Inline-SVG bar chart of an audit: per protocol one bar per metric (x100) with its bootstrap
 * interval as the error bar. No external assets; all text escaped.
 */
import { htmlEscape as esc } from '../tableModel';
import type { AuditReport } from './auditReportSchema';

const SERIES = [
  ['mapAtR', 'MAP@R', '#4c72b0'],
  ['precisionAt1', 'P@1', '#dd8452'],
  ['rPrecision', 'R-Precision', '#55a868'],
] as const;

export function renderAuditBarChartSvg(report: AuditReport): string {
  if (report.rows.length === 0) return '<p class="note">No protocols to plot.</p>';
  const bar = 14,
    groupGap = 22,
    left = 48,
    top = 36,
    plotH = 220,
    bottom = 110;
  const yMax = 100;
  const y = (v: number) => top + plotH - (Math.max(0, Math.min(yMax, v)) / yMax) * plotH;
  const groupW = SERIES.length * bar;
  const width = Math.max(left + 10 + report.rows.length * (groupW + groupGap) + 10, left + SERIES.length * 110 + 20);
  const height = top + plotH + bottom;
  const parts: string[] = [];
  report.rows.forEach((r, g) => {
    const x0 = left + 10 + g * (groupW + groupGap);
    SERIES.forEach(([m, label, colour], s) => {
      const v = r[m];
      const x = x0 + s * bar;
      const h = y(0) - y(v.mean * 100);
      parts.push(
        `<rect x="${x}" y="${y(v.mean * 100).toFixed(1)}" width="${bar - 2}" height="${h.toFixed(1)}" fill="${colour}">` +
          `<title>${esc(
            `${r.protocol} ${label} ${(v.mean * 100).toFixed(2)} [${(v.lower * 100).toFixed(2)}, ` +
              `${(v.upper * 100).toFixed(2)}]`,
          )}</title></rect>`,
        `<line x1="${x + (bar - 2) / 2}" x2="${x + (bar - 2) / 2}" y1="${y(v.lower * 100).toFixed(1)}" ` +
          `y2="${y(v.upper * 100).toFixed(1)}" stroke="#222" stroke-width="1.2"/>`,
      );
    });
    const cx = x0 + groupW / 2;
    parts.push(
      `<text x="${cx}" y="${top + plotH + 12}" font-size="11" text-anchor="end" ` +
        `transform="rotate(-40 ${cx} ${top + plotH + 12})">${esc(r.protocol)}</text>`,
    );
  });
  const ticks: string[] = [];
  for (let t = 0; t <= yMax; t += 20) {
    ticks.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(t) + 4}" font-size="11" text-anchor="end">${t}</text>`,
    );
  }
  const legend = SERIES.map(
    ([, label, colour], s) =>
      `<rect x="${left + s * 110}" y="8" width="12" height="12" fill="${colour}"/>` +
      `<text x="${left + s * 110 + 16}" y="18" font-size="12">${esc(label)}</text>`,
  ).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="protocol metrics" width="${width}" ` +
    `height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Liberation Sans, sans-serif">` +
    `${ticks.join('')}${parts.join('')}${legend}` +
    `<text x="12" y="${top + plotH / 2}" font-size="12" transform="rotate(-90 12 ${top + plotH / 2})" ` +
    `text-anchor="middle">x100, bars: ${Math.round(report.confidence * 100)}% bootstrap CI</text></svg>`
  );
}
