import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMaskQualityTable, renderTable1, renderTable2 } from '../../../lib/report/tables';
import { formatNumber } from '../../../lib/report/tableModel';
import { sampleReport } from './sampleReport';

test('Table 1 in Markdown: MAP@R x 100, swapped as mean ± std, hand-computed', () => {
  assert.equal(
    renderTable1(sampleReport(), 'md'),
    [
      '| Loss | cub clean | cub swapped | sop, v2 clean | sop, v2 swapped |',
      '|:---|---:|---:|---:|---:|',
      '| arcface | 52.34 | 31.00 ± 1.58 | 20.00 | 10.00 ± 2.00 |',
      '| arcface + BGAugment | 48.00 | 45.67 ± 0.10 | 25.00 | 24.00 ± 0.50 |',
      '',
    ].join('\n'),
  );
});

test('Table 1 as aligned text and as LaTeX', () => {
  assert.equal(
    renderTable1(sampleReport(), 'text'),
    [
      // Column width = the wider of header and values: 'cub swapped' (11) < '31.00 ± 1.58' (12).
      'Loss                 cub clean   cub swapped  sop, v2 clean  sop, v2 swapped',
      '-------------------  ---------  ------------  -------------  ---------------',
      'arcface                  52.34  31.00 ± 1.58          20.00     10.00 ± 2.00',
      'arcface + BGAugment      48.00  45.67 ± 0.10          25.00     24.00 ± 0.50',
      '',
    ].join('\n'),
  );
  assert.equal(
    renderTable1(sampleReport(), 'tex'),
    [
      '\\begin{tabular}{lrrrr}',
      '\\toprule',
      ' & \\multicolumn{2}{c}{cub} & \\multicolumn{2}{c}{sop, v2} \\\\',
      '\\cmidrule(lr){2-3} \\cmidrule(lr){4-5}',
      'Loss & clean & swapped & clean & swapped \\\\',
      '\\midrule',
      'arcface & 52.34 & 31.00 $\\pm$ 1.58 & 20.00 & 10.00 $\\pm$ 2.00 \\\\',
      'arcface + BGAugment & 48.00 & 45.67 $\\pm$ 0.10 & 25.00 & 24.00 $\\pm$ 0.50 \\\\',
      '\\bottomrule',
      '\\end{tabular}',
      '',
    ].join('\n'),
  );
});

/** RFC 4180 parser (quoted fields, doubled quotes, CRLF), independent of the renderer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [],
    field = '',
    quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

test('Table 1 CSV round-trips: quoted names, numeric mean and std columns', () => {
  const report = sampleReport();
  report.cells[2].loss = report.cells[3].loss = 'ms "v1"';
  report.cells[0].dataset = report.cells[1].dataset = report.cells[2].dataset = report.cells[3].dataset = 'sop, v2';
  report.cells[0].loss = report.cells[1].loss = 'arcface';
  const rows = parseCsv(renderTable1(report, 'csv'));
  assert.deepEqual(rows[0], ['Loss', 'sop, v2 clean', 'sop, v2 swapped mean', 'sop, v2 swapped std']);
  const byLabel = new Map(rows.slice(1).map((r) => [r[0], r.slice(1).map(Number)]));
  assert.deepEqual([...byLabel.keys()], ['arcface', 'arcface + BGAugment', 'ms "v1"', 'ms "v1" + BGAugment']);
  for (const c of report.cells) {
    const label = c.mode === 'base' ? c.loss : `${c.loss} + BGAugment`;
    const want = [c.clean.mapAtR, c.swapped.mapAtR.mean, c.swapped.mapAtR.std].map((v) => Math.round(v * 10000) / 100);
    assert.deepEqual(byLabel.get(label), want, label);
  }
});

test('Table 2 (attention, 2 decimals) and the mask-quality table', () => {
  assert.equal(
    renderTable2(sampleReport(), 'md'),
    [
      '| Loss | cub | sop, v2 |',
      '|:---|---:|---:|',
      '| arcface | 0.10 ± 0.05 | 0.30 ± 0.05 |',
      '| arcface + BGAugment | 0.50 ± 0.05 | 0.70 ± 0.05 |',
      '',
    ].join('\n'),
  );
  const mq = renderMaskQualityTable(sampleReport(), 'csv').split('\r\n');
  assert.equal(
    mq[0],
    'Dataset,n,IoU mean,IoU std,IoU median,IoU q1,IoU q3,IoU min,IoU max,overlap mean,overlap std,overlap ' +
      'median,overlap q1,overlap q3,overlap min,overlap max',
  );
  assert.equal(mq[1], 'cub,20,0.80,0.10,0.81,0.75,0.90,0.50,0.95,0.90,0.05,0.91,0.88,0.93,0.70,0.99');
});

test('missing cells, several seeds and duplicate cells', () => {
  const r = sampleReport();
  r.cells = r.cells.filter((c) => !(c.dataset === 'cub' && c.mode === 'bgaugment'));
  assert.match(renderTable1(r, 'md'), /\| arcface \+ BGAugment \| – \| – \| 25\.00 \| 24\.00 ± 0\.50 \|/);
  const two = sampleReport();
  two.cells.push({ ...two.cells[0], seed: 7 });
  // several seeds: aggregated across seeds (seedTables.test.ts); a one-seed mean has no interval
  const md = renderTable1(two, 'md');
  assert.match(
    md,
    /\| arcface \| 52\.34 \[52\.34, 52\.34\] \(n=2\) \| 31\.00 \[31\.00, 31\.00\] \(n=2\) \| 20\.00 \(n=1\) \|/,
  );
  const dup = sampleReport();
  dup.cells.push(dup.cells[0]);
  assert.throws(() => renderTable1(dup, 'md'), /2 cells for dataset=cub loss=arcface mode=base seed=42/);
  assert.throws(() => renderTable1(sampleReport(), 'xls' as never), /unknown table format 'xls'/);
});

test('numbers: fixed decimals and no negative zero', () => {
  assert.equal(formatNumber(-0.001, 2), '0.00');
  assert.equal(formatNumber(-0.006, 2), '-0.01');
  assert.equal(formatNumber(12.3456, 2), '12.35');
});
