import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReportFiles } from '../../../lib/report/writeReportFiles';
import { sampleReport } from './sampleReport';

test('writes report.json, tables, report.html and the figure; rejects a bad report before writing', async () => {
  const root = await mkdtemp(join(tmpdir(), 'bgbias-report-'));
  try {
    const dir = join(root, 'out');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const written = await writeReportFiles(dir, sampleReport(), { attentionFigurePng: png });
    assert.deepEqual((await readdir(dir)).sort(), [...written].sort());
    assert.deepEqual([...written].sort(), [
      'attention.csv',
      'attention.png',
      'mask_quality.csv',
      'report.html',
      'report.json',
      'tables.csv',
      'tables.md',
      'tables.tex',
    ]);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')), sampleReport());
    const md = await readFile(join(dir, 'tables.md'), 'utf8');
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    assert.ok(md.includes('| arcface | 52.34 | 31.00 ± 1.58 |'));
    assert.ok(html.includes('src="attention.png"'));
    // The legend says once what "swapped" is and that the reference's metric names say "corrupted".
    for (const text of [md, html.replaceAll('&quot;', '"')]) {
      assert.match(
        text,
        /Swapped: every test image, query and gallery alike, composited onto a fresh random background/,
      );
      assert.match(text, /metric names call this test "corrupted"/);
    }
    assert.deepEqual(await readFile(join(dir, 'attention.png')), png);

    const bad = { ...sampleReport(), preset: '' };
    const badDir = join(root, 'bad');
    await assert.rejects(writeReportFiles(badDir, bad), /report\.preset/);
    await assert.rejects(stat(badDir), /ENOENT/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
