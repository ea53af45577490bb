/**
 * Python 3's round() for floats: round half to even. torchvision's crop arithmetic uses it
 * (`int(round(...))`), and Math.round (half up) would disagree exactly at .5, which CenterCrop hits
 * whenever the size difference is odd.
 */
export function pythonRound(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
