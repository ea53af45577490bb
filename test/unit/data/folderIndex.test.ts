import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexFolder, type FolderIndexOptions } from '../../../lib/data/datasets/folderIndex';
import type { SplitName } from '../../../lib/data/datasets/types';

/** `classes` class folders c00, c01, ... with `perClass` images each, optionally under a prefix. */
function folder(classes: number, perClass: number, prefix = ''): string[] {
  const files: string[] = [];
  for (let c = 0; c < classes; c++)
    for (let i = 0; i < perClass; i++) files.push(`${prefix}c${String(c).padStart(2, '0')}/img${i}.jpg`);
  return files;
}

const opts = (files: string[], extra: Partial<FolderIndexOptions> = {}): FolderIndexOptions => ({
  dataset: 'myshop',
  files,
  split: 'auto',
  seed: 42,
  policy: 'fail',
  ...extra,
});

const splitCounts = (r: ReturnType<typeof indexFolder>) =>
  (['train', 'val', 'test'] as SplitName[]).map((s) => r.classes.filter((c) => c.split === s).length);

test("the seeded split keeps the paper's class proportions (Cars196 74/24/98, CUB200 75/25/100)", () => {
  // Hand-computed: test = floor(n/2), trainval = n - test, val = trainval - round(0.75 trainval).
  assert.deepEqual(splitCounts(indexFolder(opts(folder(196, 2)))), [74, 24, 98]);
  assert.deepEqual(splitCounts(indexFolder(opts(folder(200, 2)))), [75, 25, 100]);
  assert.deepEqual(splitCounts(indexFolder(opts(folder(10, 2)))), [4, 1, 5]); // trainval 5, round(3.75) = 4
  assert.deepEqual(splitCounts(indexFolder(opts(folder(7, 2)))), [3, 1, 3]); // trainval 4
  assert.deepEqual(splitCounts(indexFolder(opts(folder(6, 2)))), [2, 1, 3]); // the minimum
  assert.throws(() => indexFolder(opts(folder(5, 2))), /myshop: 5 class\(es\) .* needs at least 6/);
});

test('the seeded split is class-disjoint, holds every image once, and labels train classes 0..t-1 in name order', () => {
  const files = folder(12, 3);
  const r = indexFolder(opts(files));
  assert.equal(r.layout, 'seeded');
  const { train, val, test: testSplit } = r.index.splits;
  assert.deepEqual([...train, ...val, ...testSplit].map((i) => i.path).sort(), [...files].sort());
  const classOf = (p: string) => p.split('/')[0];
  const sets = [train, val, testSplit].map((s) => new Set(s.map((i) => classOf(i.path))));
  for (const [a, b] of [
    [0, 1],
    [0, 2],
    [1, 2],
  ])
    assert.deepEqual(
      [...sets[a]].filter((c) => sets[b].has(c)),
      [],
      `splits ${a} and ${b} share a class`,
    );
  // 12 classes: 5 train (labels 0-4), 1 val (5), 6 test (6-11); within a split by name.
  assert.equal(r.index.numTrainClasses, 5);
  assert.deepEqual(
    r.classes.map((c) => [c.split, c.label]),
    [...Array(12).keys()].map((l) => [l < 5 ? 'train' : l < 6 ? 'val' : 'test', l]),
  );
  for (const split of ['train', 'val', 'test'] as const) {
    const names = r.classes.filter((c) => c.split === split).map((c) => c.name);
    assert.deepEqual(names, [...names].sort());
  }
  for (const item of [...train, ...val, ...testSplit])
    assert.equal(item.label, r.classes.find((c) => c.name === classOf(item.path))!.label, item.path);
  assert.equal(r.index.numTrainClasses, new Set(train.map((i) => i.label)).size);
});

test('the seeded split follows the seed: the same seed the same classes, another seed others', () => {
  const testClasses = (seed: number | string) =>
    indexFolder(opts(folder(20, 2), { seed }))
      .classes.filter((c) => c.split === 'test')
      .map((c) => c.name);
  assert.deepEqual(testClasses(42), testClasses(42));
  assert.notDeepEqual(testClasses(42), testClasses(7));
  // Not the unshuffled "second half by name" (c10..c19) either.
  assert.notDeepEqual(
    testClasses(42),
    folder(20, 1)
      .slice(10)
      .map((f) => f.split('/')[0]),
  );
  // The file order does not matter.
  const shuffled = folder(20, 2).reverse();
  assert.deepEqual(indexFolder(opts(shuffled)).classes, indexFolder(opts(folder(20, 2))).classes);
});

test('a pre-split folder keeps its train/val/test classes; without val/ a quarter of train becomes val', () => {
  const files = [
    ...folder(3, 2, 'train/'),
    ...folder(2, 2, 'val/').map((f) => f.replace('/c', '/v')),
    ...folder(2, 3, 'test/').map((f) => f.replace('/c', '/t')),
  ];
  const r = indexFolder(opts(files));
  assert.equal(r.layout, 'folders');
  assert.deepEqual(
    r.classes.map((c) => `${c.split}:${c.name}:${c.label}:${c.images}`),
    ['train:c00:0:2', 'train:c01:1:2', 'train:c02:2:2', 'val:v00:3:2', 'val:v01:4:2', 'test:t00:5:3', 'test:t01:6:3'],
  );
  assert.deepEqual(r.index.splits.test.map((i) => i.path).slice(0, 2), ['test/t00/img0.jpg', 'test/t00/img1.jpg']);

  // No val/: 4 train classes -> round(0.75 * 4) = 3 stay train, 1 is val.
  const noVal = indexFolder(
    opts([...folder(4, 2, 'train/'), ...folder(2, 2, 'test/').map((f) => f.replace('/c', '/t'))]),
  );
  assert.deepEqual(splitCounts(noVal), [3, 1, 2]);
  assert.ok(noVal.index.splits.val.every((i) => i.path.startsWith('train/')));
  assert.equal(noVal.index.numTrainClasses, 3);
});

test('a pre-split folder refuses a class in two splits and stray top-level folders, naming them', () => {
  assert.throws(
    () => indexFolder(opts([...folder(3, 2, 'train/'), ...folder(2, 2, 'test/')])),
    /class c00 is in both train\/ and test\//,
  );
  assert.throws(
    () => indexFolder(opts([...folder(3, 2, 'train/'), ...folder(2, 2, 'test/'), 'extra/a.jpg', 'extra/b.jpg'])),
    /train\/ and test\/ .* found extra\/, test\/, train\//,
  );
  assert.throws(() => indexFolder(opts(folder(3, 2, 'train/'), { split: 'folders' })), /found train\//);
  // split 'seeded': top-level folders named train/test are classes like any other.
  const seeded = indexFolder(opts([...folder(6, 2), 'train/a.jpg', 'train/b.jpg'], { split: 'seeded' }));
  assert.equal(seeded.classes.length, 7);
});

test('classes with one image: an error naming them, or skipped and listed under the skip policy', () => {
  const files = [...folder(6, 2), 'lonely/only.jpg', 'empty-ish/readme.txt'];
  assert.throws(() => indexFolder(opts(files)), /1 class\(es\) with fewer than 2 images.*lonely \(1\)/);
  const r = indexFolder(opts(files, { policy: 'skip' }));
  assert.deepEqual(r.skipped, [{ path: 'lonely/only.jpg', reason: 'class lonely has only this image' }]);
  assert.equal(r.classes.length, 6);
  assert.deepEqual(r.ignored, ['empty-ish/readme.txt']);
});

test('a masks folder: every image needs <path>.png; a missing one is named, or skipped under skip', () => {
  const files = folder(6, 2);
  const masks = new Set(files.map((f) => f.replace(/\.jpg$/, '.png')));
  assert.equal(indexFolder(opts(files, { maskFiles: masks })).skipped.length, 0);
  masks.delete('c03/img1.png');
  assert.throws(
    () => indexFolder(opts(files, { maskFiles: masks })),
    /no mask .* for 1 image\(s\): expected c03\/img1\.png/,
  );
  // Skipped, c03 is left with one image and is skipped too: 5 classes are too few.
  assert.throws(() => indexFolder(opts(files, { maskFiles: masks, policy: 'skip' })), /5 class\(es\)/);
  const seven = folder(7, 2);
  const r = indexFolder(
    opts(seven, {
      policy: 'skip',
      maskFiles: new Set(seven.filter((f) => f !== 'c03/img1.jpg').map((f) => f.replace(/\.jpg$/, '.png'))),
    }),
  );
  assert.deepEqual(
    r.skipped.map((s) => s.path),
    ['c03/img1.jpg', 'c03/img0.jpg'],
  );
  assert.equal(r.classes.length, 6);
});

test('hidden files, non-images and top-level files are ignored; two images sharing a mask file are refused', () => {
  const files = [
    ...folder(6, 2),
    '.DS_Store',
    'c00/.hidden.jpg',
    '.git/x/y.jpg',
    'top.jpg',
    'c01/notes.TXT',
    'c02/UPPER.JPG',
  ];
  const r = indexFolder(opts(files));
  assert.deepEqual(r.ignored.sort(), ['.DS_Store', '.git/x/y.jpg', 'c00/.hidden.jpg', 'c01/notes.TXT', 'top.jpg']);
  assert.equal(r.classes.find((c) => c.name === 'c02')!.images, 3);
  assert.throws(
    () => indexFolder(opts([...folder(6, 2), 'c00/img0.png'])),
    /images c00\/img0\.jpg and c00\/img0\.png would share the mask c00\/img0\.png/,
  );
});
