/** docs/concepts.md names real files: every path it cites exists, every concept row cites one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const doc = fs.readFileSync(path.join(root, 'docs/concepts.md'), 'utf8');

/** Backticked repository paths: a folder and a file name with an extension (`lib/ml/sampler.ts`). */
function citedPaths(text: string): string[] {
  return [...text.matchAll(/`([A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+\.[a-z]+)`/g)].map((m) => m[1]);
}

/** Table rows of concepts (not headers or separators): `| concept | what | file |`. */
function conceptRows(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('|') && !/^\|\s*concept\s*\|/.test(l) && !/^\|[-| ]+\|$/.test(l));
}

test('every file docs/concepts.md names exists', () => {
  const paths = citedPaths(doc);
  assert.ok(paths.length >= 50, `only ${paths.length} paths found: the parser or the doc is broken`);
  const missing = paths.filter((p) => !fs.existsSync(path.join(root, p)));
  assert.deepEqual(missing, [], `docs/concepts.md names files that do not exist: ${missing.join(', ')}`);
});

test('every concept row names at least one file in its last column', () => {
  const rows = conceptRows(doc);
  assert.ok(rows.length >= 40, `only ${rows.length} concept rows`);
  for (const row of rows) {
    const cells = row.split('|').slice(1, -1);
    assert.equal(cells.length, 3, `not a 3-column row: ${row}`);
    assert.ok(citedPaths(cells[2]).length > 0, `no file for: ${cells[0].trim()}`);
  }
});

test('the paper terms the issue lists each have a row', () => {
  const concepts = conceptRows(doc).map((r) => r.split('|')[1].trim());
  for (const term of [
    'BGAugment',
    'Swapped-background test',
    'MAP@R, P@1, R-Precision',
    'M-per-class sampler',
    'Frozen BN',
    'RMSprop groups',
    'Early stopping',
    'Checkpoint selection',
    'SmoothGrad attribution',
    'Attention score',
    'u2net masks',
    'Mask quality',
    'Table 1',
    'Table 2',
  ])
    assert.ok(concepts.includes(term), `no row for ${term}`);
});
