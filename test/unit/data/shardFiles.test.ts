import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeShard } from '../../../lib/data/shardFormat';
import { ShardFiles } from '../../../lib/data/shardFiles';
import { DecodedCache, SplitData } from '../../../lib/data/splitData';
import { makeShards, type ShardFixture } from '../ml/input/shardFixture';

let fx: ShardFixture;
before(async () => {
  fx = await makeShards(10);
});
after(() => fx.cleanup());

test('items read from the shard files on demand equal the items of the whole-buffer reader, across files', async () => {
  const files = new ShardFiles(fx.files);
  const whole = new SplitData(
    fx.files.flatMap((f) => decodeShard(fs.readFileSync(f), f)),
    'split',
    new DecodedCache(0),
  );
  assert.equal(files.length, 10);
  assert.deepEqual([...files.labels], [...whole.labels]);
  for (const i of [0, 4, 5, 9]) {
    const [a, b] = [await files.read(i), await whole.get(i)];
    assert.equal(a.id, b.id);
    assert.deepEqual([a.image, a.mask], [b.image, b.mask], `item ${i}`);
  }
  assert.match(files.describe(7), /item 7 \(img-7\.jpg in .*train-00001\.bgsh\)/);
  await assert.rejects(files.read(10), /no item 10: the split has 10 \(2 shard files\)/);
  files.close();
});

test('truncated and foreign files are named', () => {
  const cut = path.join(fx.dir, 'cut.bgsh');
  const buf = fs.readFileSync(fx.files[0]);
  fs.writeFileSync(cut, buf.subarray(0, buf.length - 5));
  assert.throws(() => new ShardFiles([cut]), /cut\.bgsh: truncated payload for item img-4\.jpg/);
  fs.writeFileSync(cut, 'not a shard');
  assert.throws(() => new ShardFiles([cut]), /cut\.bgsh: not a bgbias shard/);
});
