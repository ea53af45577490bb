/**
 * The smoke run as a regression test of the paper's effect (CI, after `npm run smoke`): reads
 * report.json and asserts its DIRECTION, not today's size:
 *   - the base models' mean MAP@R drop (clean - swapped mean) is larger than the BGAugment models';
 *   - the BGAugment models' mean attention score is higher than the base models'.
 * The means are computed here from the cells (not read from report.effect), and checked against
 * report.effect when it is there, so a wrong effect summary fails too.
 *
 *   node --import tsx scripts/check-smoke-effect.ts [out/smoke/report.json]
 */
import { readFileSync } from 'node:fs';
import { parseReport, type Report } from '../lib/report/schema';

export interface SmokeEffectCheck {
  ok: boolean;
  /** One line per number and per failed condition, for the terminal. */
  lines: string[];
}

const meanOf = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

export function checkSmokeEffect(report: Report): SmokeEffectCheck {
  const lines: string[] = [];
  const failures: string[] = [];
  const of = (mode: 'base' | 'bgaugment') => report.cells.filter((c) => c.mode === mode);
  const drop = (mode: 'base' | 'bgaugment') => meanOf(of(mode).map((c) => c.clean.mapAtR - c.swapped.mapAtR.mean));
  const attention = (mode: 'base' | 'bgaugment') =>
    meanOf(of(mode).flatMap((c) => (c.attention ? [c.attention.mean] : [])));
  const d = { base: drop('base'), bgaugment: drop('bgaugment') };
  const a = { base: attention('base'), bgaugment: attention('bgaugment') };
  const n = { base: of('base').length, bgaugment: of('bgaugment').length };
  lines.push(
    `mean MAP@R drop (clean - swapped), x100: base ${(d.base * 100).toFixed(2)} (${n.base} models), ` +
      `BGAugment ${(d.bgaugment * 100).toFixed(2)} (${n.bgaugment} models)`,
    `mean attention score: base ${a.base.toFixed(3)}, BGAugment ${a.bgaugment.toFixed(3)}`,
  );
  if (n.base === 0 || n.bgaugment === 0) failures.push('the report needs base and BGAugment models');
  if (!(d.base > d.bgaugment))
    failures.push(
      "the base models' mean MAP@R drop is not larger than the BGAugment models' (the paper: BGAugment reduces it)",
    );
  if (!(a.bgaugment > a.base))
    failures.push("the BGAugment models' mean attention score is not higher than the base models' (the paper: it is)");
  const e = report.effect;
  const close = (x: number, y: number | null) => y !== null && Math.abs(x - y) < 1e-9;
  if (e && !(close(d.base, e.baseMeanDrop) && close(d.bgaugment, e.bgaugmentMeanDrop)))
    failures.push(`report.effect's drops (${e.baseMeanDrop}, ${e.bgaugmentMeanDrop}) disagree with its cells`);
  if (e && !(close(a.base, e.baseMeanAttention) && close(a.bgaugment, e.bgaugmentMeanAttention)))
    failures.push(
      `report.effect's attentions (${e.baseMeanAttention}, ${e.bgaugmentMeanAttention}) disagree with its cells`,
    );
  return { ok: failures.length === 0, lines: [...lines, ...failures.map((f) => `FAILED: ${f}`)] };
}

if (require.main === module) {
  const file = process.argv[2] ?? 'out/smoke/report.json';
  let report: Report;
  try {
    report = parseReport(JSON.parse(readFileSync(file, 'utf8')), file);
  } catch (err) {
    console.error(`check-smoke-effect: cannot read ${file}: ${(err as Error).message}`);
    process.exit(2);
  }
  const result = checkSmokeEffect(report);
  for (const line of result.lines) (result.ok ? console.log : console.error)(`check-smoke-effect: ${line}`);
  if (!result.ok) {
    console.error(`check-smoke-effect: ${file} does not show the paper's effect`);
    process.exit(1);
  }
  console.log(`check-smoke-effect: ${file} shows the paper's direction`);
}
