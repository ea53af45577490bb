/**
 * Both HTML reports in a real headless browser (Debian's Chromium, test/helpers/browser.ts): the
 * experiment report (lib/report writeReportFiles, with its attention figure) and the audit report
 * (lib/report/audit, with a figure, and an ONNX one without). Every image loads, every table is
 * present, the console shows no errors; a screenshot of each lands in out/test-output/browser/.
 * test/integration/audit.test.ts runs the same check on the audit reports the workflow wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderAttentionFigure, writeReportFiles } from '../../lib/report';
import { AUDIT_FIGURE_FILE, renderAuditHtml } from '../../lib/report/audit/auditDocuments';
import { renderAuditAttentionFigure } from '../../lib/report/audit/auditAttentionFigure';
import { parseAuditReport, type AuditReport } from '../../lib/report/audit/auditReportSchema';
import { assertCleanPage, checkPageInBrowser, CHROMIUM_MISSING } from '../helpers/browser';
import { sampleReport } from '../unit/report/sampleReport';

const SIZE = 16;
const ramp = (f: (i: number) => number) => Float32Array.from({ length: SIZE * SIZE }, (_, i) => f(i));
const rgb = () => Uint8Array.from({ length: SIZE * SIZE * 3 }, (_, i) => (i * 7) % 256);

function auditReport(withFigure: boolean): AuditReport {
  const row = (protocol: string, m: number, drawn: boolean) => {
    const v = { mean: m, std: drawn ? 0.01 : null, lower: m - 0.05, upper: m + 0.05 };
    return { protocol, repetitions: drawn ? 3 : 1, mapAtR: v, precisionAt1: v, rPrecision: v };
  };
  return parseAuditReport({
    kind: 'audit',
    model: {
      kind: withFigure ? 'tfjs-layers' : 'onnx',
      source: withFigure ? '/models/m/model.json' : '/models/m.onnx',
      sha256: 'ab'.repeat(32),
      embeddingSize: 6,
      convention: { size: 16, resizeShort: 16, channels: 'bgr', range: '0-255', mean: [104, 117, 128], std: [1, 1, 1] },
    },
    images: { experiment: 'e', dataset: 'synthetic', split: 'test', numImages: 24, numQueries: 24 },
    settings: { seed: 0, repetitions: 3, applyTo: 'both', hole: 'tile', bootstrap: { resamples: 1000 } },
    confidence: 0.95,
    rows: [
      row('clean', 0.8, false),
      row('swapped', 0.4, true),
      row('mixed-same', 0.6, true),
      row('mixed-rand', 0.3, true),
    ],
    bgGap: {
      mapAtR: { estimate: 0.3, lower: 0.2, upper: 0.4 },
      precisionAt1: { estimate: 0.3, lower: 0.2, upper: 0.4 },
      rPrecision: { estimate: 0.3, lower: 0.2, upper: 0.4 },
    },
    attribution: withFigure
      ? { available: true, distance: 'euclidean', attention: { mean: 0.4, std: 0.1, n: 4 }, figure: AUDIT_FIGURE_FILE }
      : { available: false, reason: 'attribution is not available for ONNX models' },
    auditDigest: 'cd'.repeat(32),
  });
}

test(
  'the experiment report in Chromium: figure loads, Tables 1 and 2, mask quality, no console errors',
  { skip: CHROMIUM_MISSING },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-report-browser-'));
    const rows = [0, 1].map((k) => ({
      image: { width: SIZE, height: SIZE, data: rgb() },
      baseMap: ramp((i) => ((i + k) % SIZE) / SIZE),
      bgaugmentMap: ramp((i) => Math.floor(i / SIZE) / SIZE),
      size: SIZE,
    }));
    await writeReportFiles(dir, sampleReport(), { attentionFigurePng: await renderAttentionFigure(rows) });
    const headings = ['Table 1', 'Table 2', 'Mask quality', 'All cells'];
    const check = await checkPageInBrowser(path.join(dir, 'report.html'), headings, 'experiment-report');
    assertCleanPage(check, 1, headings);
    fs.rmSync(dir, { recursive: true, force: true });
  },
);

test(
  'the audit report in Chromium: protocol table, convention, bar chart, figure; ONNX: the note instead',
  { skip: CHROMIUM_MISSING },
  async () => {
    for (const withFigure of [true, false]) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-audit-browser-'));
      const report = auditReport(withFigure);
      if (withFigure) {
        const figure = await renderAuditAttentionFigure([
          { image: rgb(), map: ramp((i) => (i % SIZE) / SIZE), mask: ramp((i) => (i % 3 === 0 ? 1 : 0)), size: SIZE },
        ]);
        fs.writeFileSync(path.join(dir, AUDIT_FIGURE_FILE), figure);
      }
      fs.writeFileSync(path.join(dir, 'report.html'), renderAuditHtml(report));
      const headings = ['Protocols', 'Input convention'];
      const check = await checkPageInBrowser(
        path.join(dir, 'report.html'),
        headings,
        withFigure ? 'audit-report' : 'audit-report-onnx',
      );
      assertCleanPage(check, withFigure ? 1 : 0, headings);
      assert.ok(check.svgs >= 1, 'the bar chart');
      assert.match(check.title, /Background-bias audit/);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
