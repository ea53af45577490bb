import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeShard, encodeShard } from '../../../lib/data/shardFormat';

test('shard round-trips ids, labels and payload bytes', () => {
  const items = [
    { id: 'a/1.jpg', label: 0, image: Buffer.from([1, 2, 3]), mask: Buffer.from([9]) },
    { id: 'b/2.jpg', label: 7, image: Buffer.alloc(0), mask: Buffer.from([4, 5]) },
  ];
  const back = decodeShard(encodeShard(items));
  assert.deepEqual(
    back.map((i) => [i.id, i.label, [...i.image], [...i.mask]]),
    [
      ['a/1.jpg', 0, [1, 2, 3], [9]],
      ['b/2.jpg', 7, [], [4, 5]],
    ],
  );
});

test('truncated or foreign buffers are rejected with the source named', () => {
  const buf = encodeShard([{ id: 'x', label: 1, image: Buffer.alloc(10), mask: Buffer.alloc(10) }]);
  assert.throws(() => decodeShard(buf.subarray(0, buf.length - 1), 'k/s0'), /k\/s0: truncated payload for item x/);
  assert.throws(() => decodeShard(Buffer.from('nope nope'), 'k/s1'), /k\/s1: not a bgbias shard/);
  assert.throws(
    () => encodeShard([{ id: 'y', label: -1, image: Buffer.alloc(0), mask: Buffer.alloc(0) }]),
    /invalid label/,
  );
});
