/**
 * Inline-SVG grouped bar chart: clean vs swapped-background MAP@R (x100) per grid cell, grouped by
 * dataset, with the swapped bars' std as error bars. No external assets, all text escaped.
 */
import type { ReportCell } from './schema';
import { htmlEscape as esc } from './tableModel';

const CLEAN = '#4c72b0';
const SWAPPED = '#dd8452';

export function renderBarChartSvg(cells: readonly ReportCell[]): string {
  if (cells.length === 0) return '<p class="note">No cells to plot.</p>';
  const datasets = [...new Set(cells.map((c) => c.dataset))];
  const bar = 14,
    innerGap = 2,
    groupGap = 12,
    datasetGap = 28;
  const left = 48,
    top = 40,
    plotH = 220,
    bottom = 110;
  const maxValue =
    Math.max(...cells.map((c) => Math.max(c.clean.mapAtR, c.swapped.mapAtR.mean + c.swapped.mapAtR.std))) * 100;
  const yMax = Math.max(10, Math.ceil(maxValue / 10) * 10);
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const parts: string[] = [];
  let x = left + 10;
  for (const d of datasets) {
    const own = cells.filter((c) => c.dataset === d);
    const start = x;
    for (const c of own) {
      const clean = c.clean.mapAtR * 100,
        sw = c.swapped.mapAtR.mean * 100,
        sd = c.swapped.mapAtR.std * 100;
      const name = `${c.loss}${c.mode === 'bgaugment' ? ' + BGA' : ''}`;
      parts.push(
        `<rect x="${x}" y="${y(clean).toFixed(1)}" width="${bar}" height="${(y(0) - y(clean)).toFixed(1)}" ` +
          `fill="${CLEAN}"><title>${esc(`${d} ${name} clean ${clean.toFixed(2)}`)}</title></rect>`,
        `<rect x="${x + bar + innerGap}" y="${y(sw).toFixed(1)}" width="${bar}" ` +
          `height="${(y(0) - y(sw)).toFixed(1)}" ` +
          `fill="${SWAPPED}"><title>${esc(`${d} ${name} swapped ${sw.toFixed(2)} ± ${sd.toFixed(2)}`)}</title></rect>`,
      );
      if (sd > 0) {
        const cx = x + bar + innerGap + bar / 2;
        parts.push(
          `<line x1="${cx}" x2="${cx}" y1="${y(sw + sd).toFixed(1)}" y2="${y(Math.max(0, sw - sd)).toFixed(1)}" ` +
            `stroke="#333" stroke-width="1.2"/>`,
        );
      }
      const lx = x + bar + innerGap / 2,
        ly = y(0) + 10;
      parts.push(
        `<text x="${lx}" y="${ly}" transform="rotate(-40 ${lx} ${ly})" text-anchor="end" ` +
          `class="tick">${esc(name)}</text>`,
      );
      x += 2 * bar + innerGap + groupGap;
    }
    parts.push(
      `<text x="${((start + x - groupGap) / 2).toFixed(1)}" y="${top - 8}" text-anchor="middle" ` +
        `class="ds">${esc(d)}</text>`,
    );
    x += datasetGap;
  }
  const width = Math.max(x - datasetGap + 20, 300); // room for the legend even with one or two cells
  const axis: string[] = [];
  for (let k = 0; k <= 5; k++) {
    const v = (yMax * k) / 5;
    axis.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" ` +
        `class="tick">${v % 1 === 0 ? v : v.toFixed(1)}</text>`,
    );
  }
  const legendX = width - 190;
  const legend = [
    `<rect x="${legendX}" y="8" width="12" height="12" fill="${CLEAN}"/><text x="${legendX + 16}" y="18" ` +
      `class="tick">clean</text>`,
    `<rect x="${legendX + 70}" y="8" width="12" height="12" fill="${SWAPPED}"/><text x="${legendX + 86}" y="18" ` +
      `class="tick">swapped (± std)</text>`,
  ];
  const height = top + plotH + bottom;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `role="img" aria-label="MAP@R clean vs swapped backgrounds">`,
    '<style>.tick{font:11px sans-serif;fill:#333}.ds{font:bold 12px sans-serif;fill:#111}</style>',
    ...axis,
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${y(0)}" stroke="#333"/>`,
    `<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle" ` +
      `class="tick">MAP@R x 100</text>`,
    ...parts,
    `<line x1="${left}" x2="${width - 10}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`,
    ...legend,
    '</svg>',
  ].join('\n');
}
