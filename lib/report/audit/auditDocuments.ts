/**
 * The audit report as Markdown and as one self-contained HTML page (inline CSS and SVG; the
 * attention figure is the PNG beside it). Both state the model, its input convention, the images,
 * the protocol table with intervals and, for ONNX models, that attribution is not available and why.
 */
import { htmlEscape as esc, renderHtmlTable, renderTable } from '../tableModel';
import { renderAuditBarChartSvg } from './auditBarChart';
import type { AuditReport } from './auditReportSchema';
import { auditTableModel, conventionTableModel } from './auditTables';

export const AUDIT_FIGURE_FILE = 'attention.png';

const num = (v: number | null) => (v === null ? 'n/a' : v.toFixed(2));

function notes(report: AuditReport): string[] {
  const ci = Math.round(report.confidence * 100);
  return [
    `Values x100. "mean ± std" is over background repetitions (std only for protocols that draw backgrounds ` +
      `or donors); "${ci}% CI" is a percentile bootstrap over the ${report.images.numQueries} queries ` +
      `(${String((report.settings.bootstrap as { resamples?: number } | undefined)?.resamples ?? '')} resamples), ` +
      `covering query sampling only.`,
    `Protocols: docs/audit.md. BG-Gap = mixed-same − mixed-rand, with a paired bootstrap interval.`,
  ];
}

function attributionText(report: AuditReport): string {
  const a = report.attribution;
  if (!a.available) return `Attribution not available for this model: ${a.reason}.`;
  return (
    `Attention score (the paper's: 1 = all SmoothGrad attention on the object, 0 = chance, < 0 = the background ` +
    `preferred; target: ${a.distance} distance to the black image's embedding): ${num(a.attention.mean)} ± ` +
    `${num(a.attention.std)} over ${a.attention.n} images.`
  );
}

export function renderAuditMarkdown(report: AuditReport): string {
  const m = report.model;
  const lines = [
    `# Background-bias audit: ${m.source}`,
    '',
    `- model: ${m.kind}, ${m.source} (sha256 ${m.sha256}), embedding size ${m.embeddingSize}`,
    `- images: ${report.images.experiment} / ${report.images.dataset} / ${report.images.split} ` +
      `(${report.images.numImages} images, ${report.images.numQueries} queries)`,
    `- seed ${String(report.settings.seed)}, repetitions ${String(report.settings.repetitions)}, ` +
      `applied to ${String(report.settings.applyTo)}, hole fill ${String(report.settings.hole)}`,
    '',
    '## Protocols',
    '',
    renderTable(auditTableModel(report), 'md'),
    '',
    ...notes(report).map((n) => `_${n}_\n`),
    '## Input convention',
    '',
    renderTable(conventionTableModel(report), 'md'),
    '',
    '## Attribution',
    '',
    attributionText(report),
    ...(report.attribution.available && report.attribution.figure
      ? ['', `![attention maps](${report.attribution.figure})`]
      : []),
    '',
  ];
  return lines.join('\n');
}

const CSS = `body{font-family:DejaVu Sans,Liberation Sans,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px}
td{text-align:right}td:first-child,th{text-align:left}.note{color:#555;font-size:90%}
.unavailable{background:#fff4e5;border:1px solid #f0b060;padding:8px 12px}code{font-size:90%}`;

export function renderAuditHtml(report: AuditReport): string {
  const m = report.model;
  const a = report.attribution;
  const attribution = a.available
    ? `<p>${esc(attributionText(report))}</p>` +
      (a.figure
        ? `<img id="attention-figure" src="${esc(a.figure)}" alt="attention maps of the first test images">`
        : '')
    : `<p class="unavailable" id="attribution-unavailable">${esc(attributionText(report))}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(`Background-bias audit: ${m.source}`)}</title>
<style>${CSS}</style></head><body>
<h1>Background-bias audit</h1>
<ul>
<li>model: <b>${esc(m.kind)}</b> <code>${esc(m.source)}</code>, embedding size ${m.embeddingSize}, sha256 <code>${esc(m.sha256)}</code></li>
<li>images: ${esc(`${report.images.experiment} / ${report.images.dataset} / ${report.images.split}`)}, ${report.images.numImages} images, ${report.images.numQueries} queries</li>
<li>seed ${esc(String(report.settings.seed))}, repetitions ${esc(String(report.settings.repetitions))}, applied to ${esc(String(report.settings.applyTo))}, hole fill ${esc(String(report.settings.hole))}</li>
</ul>
<h2>Protocols</h2>
<div id="protocol-table">${renderHtmlTable(auditTableModel(report))}</div>
${notes(report)
  .map((n) => `<p class="note">${esc(n)}</p>`)
  .join('\n')}
<div id="bar-chart">${renderAuditBarChartSvg(report)}</div>
<h2>Input convention</h2>
<div id="convention-table">${renderHtmlTable(conventionTableModel(report))}</div>
<h2>Attribution</h2>
${attribution}
</body></html>
`;
}
