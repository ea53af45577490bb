/**
 * The paper's attention score (Section 6; docs/protocol.md section 10) of an attention map against the
 * object's SOFT mask m (0..1, same geometry):
 *   p_m = mean(m)                 share of the image that is object
 *   a_m = sum(att*m) / sum(att)   share of the attention that lies on the object
 *   score = (a_m - p_m) / (1 - p_m)
 * 1 = all attention on the object, 0 = chance level, < 0 = attention prefers the background.
 *
 * Degenerate cases follow the reference's torch arithmetic, and are documented here because they are
 * not errors in it:
 * - all-zero attention: a_m = 0/0 -> NaN;
 * - mask all ones (p_m = 1): a_m = 1 and the score is 0/0 -> NaN;
 * - mask all zeros (p_m = 0, no object): a_m = 0, score = 0 (the formula is well defined there);
 * - NaN in the attention (smoothGradAttentionMap's flat-gradient case, v_max = v_min) -> NaN.
 * Callers aggregating scores must decide about NaN explicitly (stats.ts refuses non-finite values).
 * Sizes must match and mask values must lie in [0, 1]; anything else is an error.
 */
export function attentionScore(attention: Float32Array, mask: Float32Array): number {
  if (attention.length !== mask.length) {
    throw new Error(`attentionScore: attention has ${attention.length} values but the mask has ${mask.length}`);
  }
  if (attention.length === 0) throw new Error('attentionScore: empty attention map');
  let sumMask = 0;
  let sumAtt = 0;
  let sumAttMask = 0;
  for (let i = 0; i < mask.length; i++) {
    const m = mask[i];
    if (!(m >= 0 && m <= 1)) throw new Error(`attentionScore: mask value ${m} at index ${i} is outside [0, 1]`);
    const a = attention[i];
    if (a < 0) throw new Error(`attentionScore: attention value ${a} at index ${i} is negative`);
    sumMask += m;
    sumAtt += a;
    sumAttMask += a * m;
  }
  const pM = sumMask / mask.length;
  const aM = sumAttMask / sumAtt; // NaN when sumAtt = 0, as in torch
  return (aM - pM) / (1 - pM); // NaN when pM = 1 (aM = 1 then)
}
