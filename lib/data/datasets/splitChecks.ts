/**
 * Count checks on an indexed dataset: a wrong mirror, a partial archive or a changed annotation
 * file shows up as a count that differs from docs/protocol.md's, named with expected and actual value.
 */
import type { DatasetCounts } from './sources';
import { DatasetIndex, SPLIT_NAMES } from './types';

export function countClasses(labels: Iterable<number>): number {
  return new Set(labels).size;
}

export function checkCounts(index: DatasetIndex, expected: DatasetCounts): void {
  const all = SPLIT_NAMES.flatMap((s) => index.splits[s]);
  const actual = {
    images: all.length,
    classes: countClasses(all.map((i) => i.label)),
    test: index.splits.test.length,
    testClasses: countClasses(index.splits.test.map((i) => i.label)),
  };
  const wrong = (Object.keys(actual) as (keyof typeof actual)[])
    .filter((k) => expected[k] !== undefined && expected[k] !== actual[k])
    .map((k) => `${k}: expected ${expected[k]}, actual ${actual[k]}`);
  if (wrong.length > 0)
    throw new Error(`${index.dataset}: the indexed dataset does not match the protocol (${wrong.join('; ')})`);
  // Class-disjointness is the point of the protocol: check it, whatever the counts.
  const seen = new Map<number, string>();
  for (const s of SPLIT_NAMES) {
    for (const it of index.splits[s]) {
      const other = seen.get(it.label);
      if (other !== undefined && other !== s)
        throw new Error(`${index.dataset}: class ${it.label} occurs in both ${other} and ${s}`);
      seen.set(it.label, s);
    }
  }
}
