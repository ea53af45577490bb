/**
 * A small table model shared by every report table, and its renderers (Markdown, CSV, LaTeX, plain
 * text, HTML). Tables are built once as typed values and only formatted at the end, so every format
 * shows the same numbers, and CSV keeps mean and std in separate numeric columns.
 */
export type TableValue =
  | { kind: 'number'; value: number }
  | { kind: 'pm'; mean: number; std: number }
  | { kind: 'text'; text: string }
  | { kind: 'missing' };

export interface TableColumn {
  label: string;
  /** Spanning header above the column (e.g. the dataset), shown as a second header level where the format allows. */
  group?: string;
  /** Values are mean ± std (CSV: two columns). */
  pm?: boolean;
  /** CSV names of a pm column's two columns (default: '<header> mean', '<header> std'). */
  csvLabels?: [string, string];
}

export interface TableModel {
  /** Header of the row-label column. */
  stub: string;
  columns: TableColumn[];
  rows: Array<{ label: string; values: TableValue[] }>;
  decimals: number;
}

export type TableFormat = 'md' | 'csv' | 'tex' | 'text';
export const TABLE_FORMATS: readonly TableFormat[] = ['md', 'csv', 'tex', 'text'];

export function formatNumber(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s; // no "-0.00"
}

function plain(v: TableValue, decimals: number, pm: string, missing: string): string {
  switch (v.kind) {
    case 'number':
      return formatNumber(v.value, decimals);
    case 'pm':
      return `${formatNumber(v.mean, decimals)}${pm}${formatNumber(v.std, decimals)}`;
    case 'text':
      return v.text;
    case 'missing':
      return missing;
  }
}

const headerLabel = (c: TableColumn) => (c.group ? `${c.group} ${c.label}` : c.label);

function checkShape(t: TableModel): void {
  for (const r of t.rows) {
    if (r.values.length !== t.columns.length) {
      throw new Error(`table row '${r.label}' has ${r.values.length} values for ${t.columns.length} columns`);
    }
  }
}

export function renderTable(t: TableModel, format: TableFormat): string {
  checkShape(t);
  switch (format) {
    case 'md':
      return renderMarkdown(t);
    case 'csv':
      return renderCsv(t);
    case 'tex':
      return renderTex(t);
    case 'text':
      return renderText(t);
    default:
      throw new Error(`unknown table format '${String(format)}': expected one of ${TABLE_FORMATS.join(', ')}`);
  }
}

const mdEscape = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function renderMarkdown(t: TableModel): string {
  const head = [t.stub, ...t.columns.map(headerLabel)].map(mdEscape);
  const lines = [`| ${head.join(' | ')} |`, `|${[':---', ...t.columns.map(() => '---:')].join('|')}|`];
  for (const r of t.rows) {
    const cells = [r.label, ...r.values.map((v) => plain(v, t.decimals, ' ± ', '–'))].map(mdEscape);
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function renderCsv(t: TableModel): string {
  const head = [t.stub];
  for (const c of t.columns)
    head.push(...(c.pm ? (c.csvLabels ?? [`${headerLabel(c)} mean`, `${headerLabel(c)} std`]) : [headerLabel(c)]));
  const lines = [head.map(csvField).join(',')];
  for (const r of t.rows) {
    const cells = [r.label];
    r.values.forEach((v, k) => {
      if (t.columns[k].pm) {
        if (v.kind === 'pm') cells.push(formatNumber(v.mean, t.decimals), formatNumber(v.std, t.decimals));
        else cells.push(v.kind === 'missing' ? '' : plain(v, t.decimals, '', ''), '');
      } else {
        cells.push(v.kind === 'pm' ? plain(v, t.decimals, ' ± ', '') : plain(v, t.decimals, '', ''));
      }
    });
    lines.push(cells.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

export function texEscape(s: string): string {
  return s.replace(/[\\&%$#_{}~^]/g, (ch) => {
    switch (ch) {
      case '\\':
        return '\\textbackslash{}';
      case '~':
        return '\\textasciitilde{}';
      case '^':
        return '\\textasciicircum{}';
      default:
        return `\\${ch}`;
    }
  });
}

/** Consecutive columns with the same group, as [group, first index, count]. */
function groupRuns(cols: TableColumn[]): Array<[string | undefined, number, number]> {
  const runs: Array<[string | undefined, number, number]> = [];
  cols.forEach((c, i) => {
    const last = runs[runs.length - 1];
    if (last && last[0] === c.group && c.group !== undefined) last[2]++;
    else runs.push([c.group, i, 1]);
  });
  return runs;
}

function renderTex(t: TableModel): string {
  const grouped = t.columns.some((c) => c.group !== undefined);
  const lines = [`\\begin{tabular}{l${'r'.repeat(t.columns.length)}}`, '\\toprule'];
  if (grouped) {
    const runs = groupRuns(t.columns);
    lines.push(
      [
        '',
        ...runs.map(([g, , n]) => (n > 1 ? `\\multicolumn{${n}}{c}{${texEscape(g ?? '')}}` : texEscape(g ?? ''))),
      ].join(' & ') + ' \\\\',
    );
    const rules = runs.filter(([g]) => g !== undefined).map(([, i, n]) => `\\cmidrule(lr){${i + 2}-${i + n + 1}}`);
    if (rules.length) lines.push(rules.join(' '));
    lines.push([t.stub, ...t.columns.map((c) => c.label)].map(texEscape).join(' & ') + ' \\\\');
  } else {
    lines.push([t.stub, ...t.columns.map((c) => c.label)].map(texEscape).join(' & ') + ' \\\\');
  }
  lines.push('\\midrule');
  for (const r of t.rows) {
    const cells = r.values.map((v) => (v.kind === 'text' ? texEscape(v.text) : plain(v, t.decimals, ' $\\pm$ ', '--')));
    lines.push([texEscape(r.label), ...cells].join(' & ') + ' \\\\');
  }
  lines.push('\\bottomrule', '\\end{tabular}');
  return lines.join('\n') + '\n';
}

function renderText(t: TableModel): string {
  const grid = [
    [t.stub, ...t.columns.map(headerLabel)],
    ...t.rows.map((r) => [r.label, ...r.values.map((v) => plain(v, t.decimals, ' ± ', '-'))]),
  ];
  const widths = grid[0].map((_, k) => Math.max(...grid.map((row) => [...row[k]].length)));
  const pad = (s: string, w: number, left: boolean) =>
    left ? s + ' '.repeat(w - [...s].length) : ' '.repeat(w - [...s].length) + s;
  const fmt = (row: string[]) =>
    row
      .map((s, k) => pad(s, widths[k], k === 0))
      .join('  ')
      .trimEnd();
  return [fmt(grid[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...grid.slice(1).map(fmt)].join('\n') + '\n';
}

export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** An HTML <table> (used by the report page; numbers right-aligned through the `num` class). */
export function renderHtmlTable(t: TableModel): string {
  checkShape(t);
  const grouped = t.columns.some((c) => c.group !== undefined);
  const out: string[] = ['<table>', '<thead>'];
  if (grouped) {
    const runs = groupRuns(t.columns);
    // a column without a group spans both header rows
    const top = runs.map(([g, i, n]) =>
      g === undefined
        ? `<th rowspan="2">${htmlEscape(t.columns[i].label)}</th>`
        : `<th colspan="${n}">${htmlEscape(g)}</th>`,
    );
    out.push(`<tr><th rowspan="2">${htmlEscape(t.stub)}</th>${top.join('')}</tr>`);
    out.push(
      `<tr>${t.columns
        .filter((c) => c.group !== undefined)
        .map((c) => `<th>${htmlEscape(c.label)}</th>`)
        .join('')}</tr>`,
    );
  } else {
    out.push(
      `<tr><th>${htmlEscape(t.stub)}</th>${t.columns.map((c) => `<th>${htmlEscape(c.label)}</th>`).join('')}</tr>`,
    );
  }
  out.push('</thead>', '<tbody>');
  for (const r of t.rows) {
    const cells = r.values.map((v) => `<td class="num">${htmlEscape(plain(v, t.decimals, ' ± ', '–'))}</td>`);
    out.push(`<tr><th scope="row">${htmlEscape(r.label)}</th>${cells.join('')}</tr>`);
  }
  out.push('</tbody>', '</table>');
  return out.join('\n');
}
