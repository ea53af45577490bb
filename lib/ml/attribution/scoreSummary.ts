/**
 * A model's attention scores summarised for the report: mean and population std (ddof 0) over the
 * images whose score is defined, and, named, the images whose score is not (an empty or a full mask
 * makes attentionScore NaN: there is no background, or no object, to compare with). Those are never
 * dropped silently: their count and ids travel with the summary into report.json and the report.
 */
import { mean, std } from '../../util/stats';

export interface UndefinedScores {
  n: number;
  /** Test image ids, in the order the images were scored. */
  ids: string[];
}

export interface AttentionSummary {
  mean: number;
  std: number;
  /** Images with a defined score (the mean's n). */
  n: number;
  undefinedScores: UndefinedScores;
}

export function summarizeAttentionScores(ids: readonly string[], scores: readonly number[]): AttentionSummary {
  if (ids.length !== scores.length) throw new Error(`attention scores: ${scores.length} scores for ${ids.length} ids`);
  const finite: number[] = [];
  const undefinedIds: string[] = [];
  scores.forEach((s, i) => (Number.isFinite(s) ? finite.push(s) : undefinedIds.push(ids[i])));
  return {
    mean: mean(finite),
    std: std(finite, 0),
    n: finite.length,
    undefinedScores: { n: undefinedIds.length, ids: undefinedIds },
  };
}
