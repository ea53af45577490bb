import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutSplit } from '../../../lib/data/cutSplit';

test('cutSplit keeps the first classes by label and the first images of each, in the split order', () => {
  // labels out of order, class 5 first in the list: the cut is by label value, not by appearance.
  const items = [5, 2, 2, 9, 5, 2, 7, 2, 5].map((label, i) => ({ id: `i${i}`, label }));
  assert.deepEqual(
    cutSplit(items, { classes: 2, imagesPerClass: 2 }).map((i) => i.id),
    ['i0', 'i1', 'i2', 'i4'], // classes 2 and 5, two images each
  );
  assert.deepEqual(
    cutSplit(items, { classes: 10, imagesPerClass: 1 }).map((i) => i.id),
    ['i0', 'i1', 'i3', 'i6'],
  );
  assert.equal(cutSplit(items, { classes: 4, imagesPerClass: 100 }).length, items.length);
  // Deterministic: the same input gives the same items.
  assert.deepEqual(
    cutSplit(items, { classes: 3, imagesPerClass: 3 }),
    cutSplit([...items], { classes: 3, imagesPerClass: 3 }),
  );
});
