/**
 * Attention scores that are not defined (NaN: an empty or a full mask) are counted and named, from
 * the attribution summary through report.json to tables.md and report.html, never dropped silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attentionScore } from '../../../lib/ml/attribution/attentionScore';
import { summarizeAttentionScores } from '../../../lib/ml/attribution/scoreSummary';
import { parseReport } from '../../../lib/report/schema';
import { writeReportFiles } from '../../../lib/report/writeReportFiles';
import { sampleReport } from './sampleReport';

test('a summary leaves NaN scores out of n, mean and std and names their images', () => {
  // A full mask (no background) gives attentionScore NaN: the case the summary must name.
  const full = attentionScore(Float32Array.from([0.2, 0.9, 0.4, 0.1]), Float32Array.from([1, 1, 1, 1]));
  assert.ok(Number.isNaN(full), 'a full mask has no defined attention score');
  const s = summarizeAttentionScores(['a', 'b', 'c', 'd'], [0.5, full, 0.1, NaN]);
  // By hand: mean(0.5, 0.1) = 0.3; population std = 0.2.
  assert.equal(s.n, 2);
  assert.ok(Math.abs(s.mean - 0.3) < 1e-12 && Math.abs(s.std - 0.2) < 1e-12, `${s.mean} ${s.std}`);
  assert.deepEqual(s.undefinedScores, { n: 2, ids: ['b', 'd'] });
  assert.deepEqual(summarizeAttentionScores(['a'], [0.4]).undefinedScores, { n: 0, ids: [] });
  assert.throws(() => summarizeAttentionScores(['a'], [0.4, 0.2]), /2 scores for 1 ids/);
});

test('tables.md and report.html name the images without a defined score; report.json keeps them', async () => {
  const report = sampleReport();
  report.cells[1].attention = { mean: 0.5, std: 0.05, n: 98, undefinedScores: { n: 2, ids: ['img_7', 'img_31'] } };
  const dir = mkdtempSync(join(tmpdir(), 'bgbias-undefined-'));
  try {
    await writeReportFiles(dir, report);
    const line = 'cub arcface bgaugment seed 42: 2 of 100 images without a defined attention score';
    const md = readFileSync(join(dir, 'tables.md'), 'utf8');
    assert.ok(md.includes(line) && md.includes('img_7, img_31'), md);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.ok(html.includes(line) && html.includes('img_7, img_31'));
    const json = parseReport(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
    assert.deepEqual(json.cells[1].attention?.undefinedScores, { n: 2, ids: ['img_7', 'img_31'] });
    // Other models: no line (every score defined, or a report from before the field).
    assert.equal(md.split('without a defined attention score').length - 1, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
