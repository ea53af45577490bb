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
    assert.ok((await readFile(join(dir, 'tables.md'), 'utf8')).includes('| arcface | 52.34 | 31.00 ± 1.58 |'));
    assert.ok((await readFile(join(dir, 'report.html'), 'utf8')).includes('src="attention.png"'));
    assert.deepEqual(await readFile(join(dir, 'attention.png')), png);

    const bad = { ...sampleReport(), preset: '' };
    const badDir = join(root, 'bad');
    await assert.rejects(writeReportFiles(badDir, bad), /report\.preset/);
    await assert.rejects(stat(badDir), /ENOENT/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
