import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { encodeShard } from '../../../../lib/data/shardFormat';
import { ShardFiles } from '../../../../lib/data/shardFiles';
import { InputPool } from '../../../../lib/ml/input/inputPool';
import { transformBatch, type BatchSpec, type PreparedBatch } from '../../../../lib/ml/input/keyedBatch';
import { encodeItem, makeShards, SMALL, type ShardFixture } from './shardFixture';

let fx: ShardFixture;
before(async () => {
  fx = await makeShards(24);
});
after(() => fx.cleanup());

/** A mixed workload: BGAugment and plain training batches, swapped and clean evaluation with masks. */
function specs(): BatchSpec[] {
  const out: BatchSpec[] = [];
  for (let b = 0; b < 4; b++) {
    const indices = Array.from({ length: 6 }, (_, i) => (b * 7 + i * 5) % 24);
    const streams = { seed: 42, split: 'train', epoch: 3, firstPosition: b * 6 };
    out.push({ kind: 'train', source: 'train', indices, streams, background: 'val' });
    out.push({ kind: 'train', source: 'train', indices, streams: { ...streams, epoch: 4 } });
  }
  for (let start = 0; start < 24; start += 8) {
    const indices = Array.from({ length: 8 }, (_, i) => start + i);
    const streams = { seed: 42, split: 'val', epoch: 3, firstPosition: start };
    out.push({ kind: 'eval', source: 'train', indices, streams, background: 'val', masks: true });
    out.push({ kind: 'eval', source: 'train', indices, streams, masks: true });
  }
  return out;
}

const bytes = (b: PreparedBatch) => [
  Buffer.from(b.images.buffer, b.images.byteOffset, b.images.byteLength),
  Buffer.from(b.labels.buffer, b.labels.byteOffset, b.labels.byteLength),
  b.masks ? Buffer.from(b.masks.buffer, b.masks.byteOffset, b.masks.byteLength) : undefined,
];

async function reference(all: BatchSpec[]): Promise<PreparedBatch[]> {
  const files = new ShardFiles(fx.files);
  const out: PreparedBatch[] = [];
  for (const spec of all) {
    const items = await Promise.all(spec.indices.map((i) => files.read(i)));
    out.push(transformBatch(spec, items, SMALL, spec.background ? fx.backgrounds : undefined));
  }
  files.close();
  return out;
}

test('batches are bitwise identical for pool sizes 1, 2 and 4 and equal to the single-threaded transformBatch', async () => {
  const all = specs();
  const want = await reference(all);
  // The workload must be one where a wrong key would show: BGAugment changes pixels, epochs differ.
  assert.notDeepEqual(bytes(want[0])[0], bytes(want[1])[0]);
  for (const size of [1, 2, 4]) {
    const pool = await InputPool.start({
      transform: SMALL,
      sources: { train: fx.files },
      backgrounds: { val: fx.backgrounds },
      size,
      decodedCacheBytes: size === 2 ? 0 : undefined, // with and without the decoded cache
    });
    try {
      let k = 0;
      for await (const b of pool.batches(all, { prefetch: 3 })) {
        assert.deepEqual(bytes(b), bytes(want[k]), `pool size ${size}, batch ${k}`);
        b.release(); // recycled buffers must not leak old values into later batches
        k++;
      }
      assert.equal(k, all.length);
      // Out of order too: single runs in reverse give the same batches.
      const rev = await Promise.all([...all].reverse().map((s) => pool.run(s)));
      rev.reverse().forEach((b, i) => assert.deepEqual(bytes(b), bytes(want[i]), `pool size ${size}, run ${i}`));
    } finally {
      await pool.close();
    }
  }
});

test('the prefetch queue is bounded: at most `prefetch` batches are requested ahead of the consumer', async () => {
  const pool = await InputPool.start({ transform: SMALL, sources: { train: fx.files }, size: 2 });
  try {
    let pulled = 0;
    const spec = (b: number): BatchSpec => ({
      kind: 'train',
      source: 'train',
      indices: [b % 24, (b + 1) % 24],
      streams: { seed: 1, split: 'train', epoch: 1, firstPosition: 2 * b },
    });
    function* lazy(): Generator<BatchSpec> {
      for (let b = 0; b < 12; b++) {
        pulled++;
        yield spec(b);
      }
    }
    let consumed = 0;
    let maxAhead = 0;
    for await (const b of pool.batches(lazy(), { prefetch: 3 })) {
      consumed++;
      await new Promise((r) => setTimeout(r, 20)); // a slow training step: the pool must not run ahead
      maxAhead = Math.max(maxAhead, pulled - consumed);
      b.release();
    }
    assert.equal(consumed, 12);
    assert.ok(maxAhead <= 3, `requested ${maxAhead} batches ahead with prefetch 3`);
    assert.ok(maxAhead >= 2, `prefetch did not run ahead at all (${maxAhead})`);
  } finally {
    await pool.close();
  }
});

test('an error inside a worker reaches the caller naming the batch, the item and its shard file', async () => {
  const bad = path.join(fx.dir, 'bad.bgsh');
  const good = await encodeItem('fine.jpg', 0, 40, 40, 1);
  const broken = { ...(await encodeItem('broken.jpg', 1, 40, 40, 2)) };
  broken.image = broken.image.subarray(0, 40); // a truncated JPEG
  const wrongMask = await encodeItem('wrong-mask.jpg', 2, 40, 44, 3);
  wrongMask.mask = (await encodeItem('other.jpg', 2, 40, 40, 4)).mask; // mask of another size
  fs.writeFileSync(bad, encodeShard([good, broken, wrongMask]));
  const pool = await InputPool.start({ transform: SMALL, sources: { bad: [bad] }, size: 2 });
  try {
    const spec = (indices: number[]): BatchSpec => ({
      kind: 'train',
      source: 'bad',
      indices,
      streams: { seed: 1, split: 'train', epoch: 2, firstPosition: 64 },
    });
    await assert.rejects(
      pool.run(spec([0, 1])),
      (e: Error) =>
        /train batch of bad \(train, epoch 2, positions 64-65\)/.test(e.message) &&
        /item 1 \(broken\.jpg in .*bad\.bgsh\)/.test(e.message) &&
        /unreadable image/.test(e.message),
    );
    await assert.rejects(pool.run(spec([2])), /wrong-mask\.jpg.*mask is 40x40 but the image is 40x44/);
    // In a stream: the error comes at its batch, after the good ones.
    const got: number[] = [];
    await assert.rejects(async () => {
      for await (const b of pool.batches([spec([0]), spec([0, 0]), spec([1]), spec([0])])) got.push(b.size);
    }, /broken\.jpg/);
    assert.deepEqual(got, [1, 2]);
    // Bad specs are refused before any worker sees them.
    await assert.rejects(pool.run(spec([3])), /item 3 is not in source bad \(3 items\)/);
    await assert.rejects(pool.run({ ...spec([0]), background: 'val' }), /unknown background pool val/);
    // The pool still works after batch errors.
    assert.equal((await pool.run(spec([0]))).size, 1);
  } finally {
    await pool.close();
  }
  await assert.rejects(
    InputPool.start({ transform: SMALL, sources: { x: [path.join(fx.dir, 'missing.bgsh')] } }),
    /cannot open shard file .*missing\.bgsh/,
  );
});

test('close() ends every worker thread, and a forgotten pool does not keep the process alive', async () => {
  const script = `
    const { InputPool } = require(${JSON.stringify(path.resolve(__dirname, '../../../../lib/ml/input/inputPool.ts'))});
    const fs = require('node:fs');
    // libvips keeps a pool of its own threads that grows and shrinks by itself: those are not counted.
    const threads = () => fs.readdirSync('/proc/self/task')
      .filter((t) => fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim() !== 'libvips worker').length;
    (async () => {
      const opts = { transform: ${JSON.stringify(SMALL)}, sources: { t: ${JSON.stringify(fx.files)} }, size: 4 };
      const spec = { kind: 'train', source: 't', indices: [0, 1], streams: { seed: 1, split: 'train', epoch: 1, firstPosition: 0 } };
      const warm = await InputPool.start(opts); await warm.run(spec); await warm.close();
      const before = threads();
      const pool = await InputPool.start(opts);
      await pool.run(spec);
      const during = threads();
      await pool.close();
      await new Promise((r) => setTimeout(r, 200));
      console.log(JSON.stringify({ before, during, after: threads() }));
      // Never closed: idle workers must not keep this process alive.
      const forgotten = await InputPool.start(opts);
      await forgotten.run(spec);
    })();`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [...process.execArgv, '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.ok(c.during >= c.before + 4, `4 workers should add threads: ${JSON.stringify(c)}`);
  assert.equal(c.after, c.before, `threads left after close: ${JSON.stringify(c)}`);
  assert.ok(Date.now() - t0 < 60_000, 'the child process hung on the forgotten pool');
});
