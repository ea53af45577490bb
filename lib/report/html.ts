/**
 * report.html: one self-contained page (inline CSS and SVG, no external assets except the optional
 * attention figure next to it): the effect summary, Table 1 with a clean-vs-swapped bar chart,
 * Table 2, the attention figure, mask quality, per-cell details, backend and timings.
 */
import { formatCostEstimate } from './costEstimate';
import { renderBarChartSvg } from './barChart';
import { computeEffect } from './effect';
import type { Effect, Report } from './schema';
import { maskQualityModel, table1Model, table2Model } from './tables';
import { formatNumber, htmlEscape as esc, renderHtmlTable } from './tableModel';
import { undefinedScoreLines } from './undefinedScores';

/** The report's one explanation of the term (tables.md and report.html show it under Table 1). */
export const SWAPPED_LEGEND =
  'Swapped: every test image, query and gallery alike, composited onto a fresh random background of the test pool; ' +
  'mean ± sample std over the repetitions. The reference code\'s metric names call this test "corrupted".';

export interface ReportFigures {
  /** Path of the attention figure PNG relative to report.html. */
  attentionFigurePng?: string;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;max-width:1100px;margin:2em auto;
padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd;
padding-bottom:.2em}
.meta{color:#555}table{border-collapse:collapse;margin:.6em 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d6d6d6;padding:.3em .6em}thead th{background:#f3f4f6}
tbody th{text-align:left;font-weight:normal;white-space:nowrap}
td.num{text-align:right;white-space:nowrap}.effect{display:flex;gap:1em;flex-wrap:wrap}
.card{border:1px solid #d6d6d6;border-radius:6px;padding:.6em 1em;min-width:11em}
.card .v{font-size:1.5em;font-weight:600}
.card .k{color:#555;font-size:.9em}.note{color:#555;font-size:.9em}.chart{overflow-x:auto}
img.fig{max-width:100%;border:1px solid #ddd}
.wide{overflow-x:auto}table.small{font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:1em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{color:#555}dd{margin:0}
`;

function effectOf(report: Report): Effect | null {
  if (report.effect) return report.effect;
  const modes = new Set(report.cells.map((c) => c.mode));
  return modes.has('base') && modes.has('bgaugment') ? computeEffect(report.cells) : null;
}

function card(label: string, value: string, note?: string): string {
  const noteHtml = note ? `<div class="note">${esc(note)}</div>` : '';
  return `<div class="card"><div class="k">${esc(label)}</div><div class="v">${esc(value)}</div>${noteHtml}</div>`;
}

function effectSection(e: Effect | null): string {
  if (!e) return '<p class="note">The effect needs cells of both modes (base and BGAugment).</p>';
  const att = (v: number | null) => (v === null ? 'n/a' : formatNumber(v, 3));
  return [
    '<div class="effect">',
    card('Base: mean MAP@R drop', formatNumber(e.baseMeanDrop * 100, 2), 'clean − swapped, x100'),
    card('BGAugment: mean MAP@R drop', formatNumber(e.bgaugmentMeanDrop * 100, 2), 'clean − swapped, x100'),
    card(
      'Drop ratio base / BGAugment',
      e.ratio === null ? 'unbounded' : `${formatNumber(e.ratio, 2)}×`,
      e.ratio === null ? 'BGAugment did not drop' : undefined,
    ),
    card(
      'Mean attention score',
      `${att(e.baseMeanAttention)} / ${att(e.bgaugmentMeanAttention)}`,
      'base / BGAugment (1 = all on the object)',
    ),
    '</div>',
  ].join('\n');
}

function cellsTable(report: Report): string {
  const head = [
    'dataset',
    'loss',
    'mode',
    'seed',
    'best epoch',
    'epochs',
    'clean MAP@R',
    'clean P@1',
    'clean R-Prec',
    'swapped MAP@R',
    'swapped P@1',
    'swapped R-Prec',
    'attention',
  ];
  const pct = (v: number) => formatNumber(v * 100, 2);
  const rows = report.cells.map((c) => {
    const vals = [
      c.dataset,
      c.loss,
      c.mode,
      String(c.seed),
      String(c.bestEpoch),
      String(c.epochsTrained),
      pct(c.clean.mapAtR),
      pct(c.clean.precisionAt1),
      pct(c.clean.rPrecision),
      `${pct(c.swapped.mapAtR.mean)} ± ${pct(c.swapped.mapAtR.std)}`,
      `${pct(c.swapped.precisionAt1.mean)} ± ${pct(c.swapped.precisionAt1.std)}`,
      `${pct(c.swapped.rPrecision.mean)} ± ${pct(c.swapped.rPrecision.std)}`,
      c.attention ? `${formatNumber(c.attention.mean, 2)} ± ${formatNumber(c.attention.std, 2)}` : '–',
    ];
    return `<tr>${vals.map((v, k) => (k < 3 ? `<td>${esc(v)}</td>` : `<td class="num">${esc(v)}</td>`)).join('')}</tr>`;
  });
  const headHtml = head.map((h) => `<th>${esc(h)}</th>`).join('');
  return (
    `<div class="wide"><table class="small">\n<thead><tr>${headHtml}</tr></thead>\n` +
    `<tbody>\n${rows.join('\n')}\n</tbody>\n</table></div>`
  );
}

export function renderHtml(report: Report, figures: ReportFigures = {}): string {
  const hasAttention = report.cells.some((c) => c.attention);
  const timings = Object.entries(report.timings);
  const datasets = [...new Set(report.cells.map((c) => c.dataset))];
  const chartOf = (d: string) => renderBarChartSvg(report.cells.filter((c) => c.dataset === d));
  const sections = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`bgbias report: ${report.experiment}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>Background bias report: ${esc(report.experiment)}</h1>`,
    `<p class="meta">preset <b>${esc(report.preset)}</b> · created ${esc(report.createdAt)} · ` +
      `${report.cells.length} trained models</p>`,
    '<h2>Effect of swapping backgrounds</h2>',
    effectSection(effectOf(report)),
    '<h2>Table 1: MAP@R x 100, clean and with swapped backgrounds</h2>',
    `<p class="note">${esc(SWAPPED_LEGEND)}</p>`,
    renderHtmlTable(table1Model(report)),
    // one chart per dataset, side by side where the page is wide enough
    `<div class="charts">${datasets.map((d) => `<div class="chart">${chartOf(d)}</div>`).join('\n')}</div>`,
  ];
  if (hasAttention) {
    sections.push(
      '<h2>Table 2: attention score (mean ± std)</h2>',
      '<p class="note">1 = all attention on the object, 0 = chance, &lt; 0 = on the background.</p>',
      renderHtmlTable(table2Model(report)),
      ...undefinedScoreLines(report).map((line) => `<p class="note">${esc(line)}</p>`),
    );
  }
  if (figures.attentionFigurePng) {
    sections.push(
      '<h2>Attention maps</h2>',
      '<p class="note">Each row: a test image, the base model\'s attention, the BGAugment model\'s attention.</p>',
      `<img class="fig" src="${esc(figures.attentionFigurePng)}" alt="attention maps of base and BGAugment models">`,
    );
  }
  if (report.maskQuality && report.maskQuality.length > 0) {
    sections.push('<h2>Mask quality (against hand-labelled masks)</h2>', renderHtmlTable(maskQualityModel(report)));
  }
  if (report.costEstimate) {
    sections.push(
      '<h2>Cost estimate of the full run</h2>',
      `<pre class="estimate">${esc(formatCostEstimate(report.costEstimate).join('\n'))}</pre>`,
    );
  }
  sections.push('<h2>All cells (metrics x 100)</h2>', cellsTable(report));
  sections.push(
    '<h2>Backend</h2>',
    `<dl><dt>name</dt><dd>${esc(report.backend.name)}</dd><dt>device</dt><dd>${esc(report.backend.device)}</dd>` +
      `<dt>threads</dt><dd>${report.backend.threads}</dd><dt>version</dt><dd>${esc(report.backend.version)}</dd></dl>`,
    '<h2>Timings</h2>',
    timings.length === 0
      ? '<p class="note">No timings recorded.</p>'
      : `<table>\n<thead><tr><th>stage</th><th>seconds</th></tr></thead>\n<tbody>\n${timings
          .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="num">${esc(formatNumber(v, 1))}</td></tr>`)
          .join('\n')}\n</tbody>\n</table>`,
    '</body>',
    '</html>',
  );
  return sections.join('\n') + '\n';
}
