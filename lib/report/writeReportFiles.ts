/**
 * Writes a run's report folder: report.json (validated), tables.md / tables.tex (all tables),
 * tables.csv (Table 1) plus attention.csv and mask_quality.csv when present, report.html, and the
 * attention figure PNG next to it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtml, SWAPPED_LEGEND } from './html';
import { parseReport, type Report } from './schema';
import { renderMaskQualityTable, renderTable1, renderTable2 } from './tables';
import { undefinedScoreLines } from './undefinedScores';
import { formatCostEstimate } from './costEstimate';

export interface ReportFigureFiles {
  /** Encoded PNG of the attention figure. */
  attentionFigurePng?: Buffer;
}

export const ATTENTION_FIGURE_FILE = 'attention.png';

export async function writeReportFiles(
  dir: string,
  report: Report,
  figures: ReportFigureFiles = {},
): Promise<string[]> {
  const r = parseReport(report);
  const hasAttention = r.cells.some((c) => c.attention);
  const hasMasks = (r.maskQuality ?? []).length > 0;
  const undefinedScores = undefinedScoreLines(r);
  const md = [
    `# ${r.experiment} (${r.preset})`,
    '',
    '## Table 1: MAP@R x 100 (clean | swapped mean ± std)',
    '',
    SWAPPED_LEGEND,
    '',
    renderTable1(r, 'md'),
    ...(hasAttention ? ['## Table 2: attention score (mean ± std)', '', renderTable2(r, 'md')] : []),
    ...(undefinedScores.length ? ['', ...undefinedScores.map((line) => `- ${line}`)] : []),
    ...(hasMasks ? ['## Mask quality', '', renderMaskQualityTable(r, 'md')] : []),
    ...(r.costEstimate
      ? ['## Cost estimate of the full run', '', '```', ...formatCostEstimate(r.costEstimate), '```', '']
      : []),
  ].join('\n');
  const tex = [
    '% Table 1: MAP@R x 100',
    renderTable1(r, 'tex'),
    ...(hasAttention ? ['% Table 2: attention score', renderTable2(r, 'tex')] : []),
    ...(hasMasks ? ['% Mask quality', renderMaskQualityTable(r, 'tex')] : []),
  ].join('\n');
  const files: Array<[string, string | Buffer]> = [
    ['report.json', JSON.stringify(r, null, 2) + '\n'],
    ['tables.md', md],
    ['tables.csv', renderTable1(r, 'csv')],
    ['tables.tex', tex],
  ];
  if (hasAttention) files.push(['attention.csv', renderTable2(r, 'csv')]);
  if (hasMasks) files.push(['mask_quality.csv', renderMaskQualityTable(r, 'csv')]);
  if (figures.attentionFigurePng) files.push([ATTENTION_FIGURE_FILE, figures.attentionFigurePng]);
  files.push([
    'report.html',
    renderHtml(r, { attentionFigurePng: figures.attentionFigurePng ? ATTENTION_FIGURE_FILE : undefined }),
  ]);
  await mkdir(dir, { recursive: true });
  for (const [name, body] of files) await writeFile(join(dir, name), body);
  return files.map(([name]) => name);
}
