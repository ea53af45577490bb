/**
 * scripts/check-smoke-effect.ts, the CI assertion on the smoke run's report.json: passes a report with
 * the paper's direction, fails one without it (each condition alone), and fails a report whose effect
 * summary disagrees with its cells. The command's exit codes on real files too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeEffect } from '../../../lib/report';
import type { Report } from '../../../lib/report/schema';
import { checkSmokeEffect } from '../../../scripts/check-smoke-effect';
import { sampleReport } from '../report/sampleReport';

/** sampleReport by hand: base drops 0.2134 and 0.1 (mean 0.1567), BGAugment 0.0233 and 0.01 (mean 0.01665,
 *  which is 0.016649.. in binary: "1.66"); attention 0.2 vs 0.6. */
function withEffect(r: Report): Report {
  return { ...r, effect: computeEffect(r.cells) };
}

test("the paper's direction passes, and the numbers are the cells' means", () => {
  const r = checkSmokeEffect(withEffect(sampleReport()));
  assert.ok(r.ok, r.lines.join('\n'));
  assert.match(r.lines[0], /base 15\.67 \(2 models\), BGAugment 1\.66 \(2 models\)/);
  assert.match(r.lines[1], /base 0\.200, BGAugment 0\.600/);
});

test('a larger BGAugment drop fails; so does a lower BGAugment attention; each names what failed', () => {
  const drop = sampleReport();
  for (const c of drop.cells) if (c.mode === 'bgaugment') c.swapped.mapAtR.mean = c.clean.mapAtR - 0.3;
  const r1 = checkSmokeEffect(drop);
  assert.ok(!r1.ok);
  assert.ok(r1.lines.some((l) => /FAILED: the base models' mean MAP@R drop is not larger/.test(l)));
  assert.ok(!r1.lines.some((l) => /attention/.test(l) && /FAILED/.test(l)));

  const att = sampleReport();
  for (const c of att.cells) if (c.mode === 'bgaugment') c.attention!.mean = 0.1;
  const r2 = checkSmokeEffect(att);
  assert.ok(!r2.ok);
  assert.deepEqual(
    r2.lines.filter((l) => l.startsWith('FAILED')),
    ["FAILED: the BGAugment models' mean attention score is not higher than the base models' (the paper: it is)"],
  );
});

test('a report.effect that disagrees with the cells fails; the command exits 0, 1 and 2', () => {
  const wrong = withEffect(sampleReport());
  wrong.effect!.baseMeanDrop = 0.9;
  assert.ok(checkSmokeEffect(wrong).lines.some((l) => /report\.effect's drops .* disagree/.test(l)));

  const dir = mkdtempSync(join(tmpdir(), 'bgbias-smoke-check-'));
  try {
    const run = (file: string) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', join(__dirname, '../../../scripts/check-smoke-effect.ts'), file],
        {
          encoding: 'utf8',
        },
      );
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(withEffect(sampleReport())));
    assert.equal(run(good).status, 0);
    const bad = sampleReport();
    for (const c of bad.cells) if (c.mode === 'bgaugment') c.attention!.mean = 0;
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const r = run(join(dir, 'bad.json'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /does not show the paper's effect/);
    assert.equal(run(join(dir, 'missing.json')).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
