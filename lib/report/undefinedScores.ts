/**
 * The report's account of attention scores that are not defined (an empty or a full mask: see
 * lib/ml/attribution/scoreSummary.ts): Table 2's n and means leave those images out, so the report
 * says how many there were and which, per model, wherever Table 2 appears.
 */
import type { Report } from './schema';

/** Ids listed per model before the rest is counted ("and 12 more"). */
const MAX_IDS = 20;

/** One line per model with undefined scores; empty when every score is defined (or none were recorded). */
export function undefinedScoreLines(report: Report): string[] {
  return report.cells.flatMap((c) => {
    const u = c.attention?.undefinedScores;
    if (!u || u.n === 0) return [];
    const shown = u.ids.slice(0, MAX_IDS).join(', ');
    const more = u.ids.length > MAX_IDS ? ` and ${u.ids.length - MAX_IDS} more` : '';
    return [
      `${c.dataset} ${c.loss} ${c.mode} seed ${c.seed}: ${u.n} of ${u.n + c.attention!.n} images without a ` +
        `defined attention score (empty or full mask), not in n and mean: ${shown}${more}`,
    ];
  });
}
