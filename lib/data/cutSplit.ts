/**
 * A rehearsal's cut of one split (configs/rehearsal.ts): the first `classes` classes by label, at
 * most `imagesPerClass` images of each, in the split's own item order. Deterministic, and a function
 * of the split alone, so every worker cuts the same items and the cut is an input of the digests.
 */
export interface SplitCutSize {
  classes: number;
  imagesPerClass: number;
}

export function cutSplit<T extends { label: number }>(items: readonly T[], cut: SplitCutSize): T[] {
  const labels = [...new Set(items.map((i) => i.label))].sort((a, b) => a - b).slice(0, cut.classes);
  const keep = new Map(labels.map((l) => [l, cut.imagesPerClass]));
  const out: T[] = [];
  for (const item of items) {
    const left = keep.get(item.label);
    if (left === undefined || left === 0) continue;
    keep.set(item.label, left - 1);
    out.push(item);
  }
  return out;
}
