import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as Minio from 'minio';
import { z } from 'zod';
import { DataCache } from '../../activities/dataCache';
import { ArtifactStore, StoreError } from '../../lib/store/artifactStore';
import { stageDigest } from '../../lib/store/digest';
import { MANIFEST_NAME, readManifest, runCached, stagePrefix, StageWriter } from '../../lib/store/stageOutput';
import { Rng } from '../../lib/util/rng';
import { startTestServices, type TestServices } from '../helpers/services';

let svc: TestServices;
let store: ArtifactStore;
const BUCKET = 'bgbias-store-test';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-store-test-'));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

before(async () => {
  svc = await startTestServices();
  store = await ArtifactStore.open(svc.endpoints.s3, BUCKET);
});
after(async () => {
  await svc?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('open creates the missing bucket, and opening again is fine', async () => {
  const raw = new Minio.Client({ ...svc.endpoints.s3, pathStyle: true });
  assert.equal(await raw.bucketExists(BUCKET), true);
  assert.equal(await raw.bucketExists('bgbias-second'), false);
  await ArtifactStore.open(svc.endpoints.s3, 'bgbias-second');
  await ArtifactStore.open(svc.endpoints.s3, 'bgbias-second');
  assert.equal(await raw.bucketExists('bgbias-second'), true);
});

test('buffer, JSON, file round-trips; exists, remove, missing keys', async () => {
  const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
  await store.putBuffer('rt/bytes.bin', bytes);
  assert.deepEqual(await store.getBuffer('rt/bytes.bin'), bytes);
  await store.putBuffer('rt/empty', Buffer.alloc(0));
  assert.equal((await store.getBuffer('rt/empty')).length, 0);

  const schema = z.object({ name: z.string(), recall: z.array(z.number()) });
  await store.putJson('rt/m.json', { name: 'x', recall: [0.5, 0.75] });
  assert.deepEqual(await store.getJson('rt/m.json', schema), { name: 'x', recall: [0.5, 0.75] });
  await assert.rejects(
    store.getJson('rt/m.json', z.object({ name: z.number() })),
    /s3:\/\/bgbias-store-test\/rt\/m\.json at http:\/\/127\.0\.0\.1:\d+ does not match its schema: name: /,
  );
  await assert.rejects(store.getJson('rt/bytes.bin'), /rt\/bytes\.bin .* is not valid JSON/);

  const local = path.join(scratch, 'up.bin');
  const content = Buffer.from('file content '.repeat(1000));
  fs.writeFileSync(local, content);
  await store.putFile('rt/dir/file.bin', local);
  const target = path.join(scratch, 'down', 'nested', 'file.bin');
  await store.download('rt/dir/file.bin', target);
  assert.deepEqual(fs.readFileSync(target), content);
  assert.deepEqual(fs.readdirSync(path.dirname(target)), ['file.bin'], 'no .part file left behind');

  assert.equal(await store.exists('rt/dir/file.bin'), true);
  assert.equal(await store.exists('rt/dir/nothing'), false);
  assert.equal((await store.stat('rt/dir/file.bin'))?.size, content.length);
  await store.remove('rt/dir/file.bin');
  assert.equal(await store.exists('rt/dir/file.bin'), false);

  await assert.rejects(store.getBuffer('rt/missing.bin'), (e: unknown) => {
    assert.ok(e instanceof StoreError && e.notFound);
    assert.match(
      e.message,
      /get s3:\/\/bgbias-store-test\/rt\/missing\.bin at http:\/\/127\.0\.0\.1:\d+ failed: no such object/,
    );
    assert.doesNotMatch(e.message, new RegExp(svc.endpoints.s3.secretKey));
    return true;
  });
  const failedTarget = path.join(scratch, 'down', 'never.bin');
  await assert.rejects(store.download('rt/missing.bin', failedTarget), /no such object/);
  assert.equal(fs.existsSync(failedTarget), false);
  assert.deepEqual(
    fs.readdirSync(path.join(scratch, 'down')).filter((f) => f.endsWith('.part')),
    [],
  );
});

test('bad keys are rejected before any request', async () => {
  for (const key of ['', '/abs', 'a//b', 'a/../b', 'a/./b', 'trailing/', 'tab\tkey']) {
    await assert.rejects(store.putBuffer(key, Buffer.from('x')), /invalid object key/, JSON.stringify(key));
  }
});

test('a 70 MB stream of unknown size goes up in parts (multipart) and comes back intact', async () => {
  const size = 70 * 1024 * 1024;
  const block = Buffer.alloc(1 << 20);
  const rng = Rng.fromSeed('store-70mb');
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE(rng.nextUint32(), i);
  const hash = createHash('sha256');
  function* chunks() {
    for (let i = 0; i < size / block.length; i++) {
      const chunk = Buffer.from(block);
      chunk.writeUInt32LE(i, 0); // every MiB differs
      hash.update(chunk);
      yield chunk;
    }
  }
  const t0 = Date.now();
  await store.putStream('big/70mb.bin', Readable.from(chunks()));
  const upMs = Date.now() - t0;
  const expected = hash.digest('hex');
  const stat = await store.stat('big/70mb.bin');
  assert.equal(stat?.size, size);
  // S3 multipart ETags end in -<parts>: 70 MiB in the client's 64 MiB parts is 2 parts.
  assert.match(stat!.etag, /-2$/);
  const t1 = Date.now();
  const back = createHash('sha256');
  let n = 0;
  for await (const chunk of await store.getStream('big/70mb.bin')) {
    back.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  assert.equal(n, size);
  assert.equal(back.digest('hex'), expected);
  console.log(`# 70 MiB: upload ${upMs} ms, download ${Date.now() - t1} ms`);
  await store.remove('big/70mb.bin');
});

test('a failing source stream fails the upload instead of hanging', async () => {
  const failing = new Readable({
    read() {
      this.push(Buffer.alloc(1000, 1));
      this.destroy(new Error('disk went away'));
    },
  });
  await assert.rejects(
    store.putStream('rt/failing.bin', failing),
    /put s3:\/\/bgbias-store-test\/rt\/failing\.bin .*disk went away/,
  );
});

test('list returns every key under a prefix across pages (1,100 keys)', async () => {
  const count = 1_100;
  const keys = Array.from({ length: count }, (_, i) => `many/k${String(i).padStart(5, '0')}.txt`);
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < keys.length) {
        const key = keys[next++];
        await store.putBuffer(key, Buffer.from(key));
      }
    }),
  );
  await store.putBuffer('many-other/x.txt', Buffer.from('x'));
  const listed = await store.list('many/');
  console.log(`# ${count} puts + list: ${Date.now() - t0} ms`);
  assert.equal(listed.length, count);
  assert.deepEqual(listed, keys); // sorted, complete, nothing from the neighbouring prefix
  assert.deepEqual(await store.list('many/k0109'), keys.slice(1090, 1100));
  assert.deepEqual(await store.list('nothing-here/'), []);
});

/** The store, recording the order of writes (to check that the manifest comes last). */
function recording(s: ArtifactStore): { store: ArtifactStore; writes: string[] } {
  const writes: string[] = [];
  const proxy = new Proxy(s, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value === 'function' && typeof prop === 'string' && prop.startsWith('put')) {
        return (key: string, ...rest: unknown[]) => {
          writes.push(key);
          return (value as (...a: unknown[]) => unknown).call(target, key, ...rest);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy, writes };
}

test('stage outputs: files with size + sha256, manifest written last, cached rerun skips produce', async () => {
  const digest = stageDigest('train', 1, { loss: 'arcface', lr: 0.001, seed: 1 }, []);
  const ref = { experiment: 'exp1', stage: 'train', digest };
  const weights = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 256));
  const log = Buffer.from('epoch 1\nepoch 2\n');
  const localFile = path.join(scratch, 'curve.csv');
  fs.writeFileSync(localFile, 'epoch,loss\n1,0.5\n');
  const { store: rec, writes } = recording(store);
  let calls = 0;
  const first = await runCached(rec, ref, async (w) => {
    calls++;
    await w.putStream('model/weights.bin', Readable.from([weights.subarray(0, 1234), weights.subarray(1234)]));
    await w.putBuffer('train.log', log);
    await w.putFile('curve.csv', localFile);
    return { metrics: { recallAt1: 0.5 }, timings: { trainMs: 12 } };
  });
  assert.equal(first.cached, false);
  assert.equal(calls, 1);
  const prefix = `exp1/train/${digest}`;
  assert.deepEqual(writes, [
    `${prefix}/model/weights.bin`,
    `${prefix}/train.log`,
    `${prefix}/curve.csv`,
    `${prefix}/${MANIFEST_NAME}`,
  ]);
  const m = first.manifest;
  assert.equal(m.digest, digest);
  assert.equal(m.stage, 'train');
  assert.deepEqual(m.files, [
    {
      name: 'curve.csv',
      key: `${prefix}/curve.csv`,
      size: fs.statSync(localFile).size,
      sha256: sha(fs.readFileSync(localFile)),
    },
    { name: 'model/weights.bin', key: `${prefix}/model/weights.bin`, size: 5000, sha256: sha(weights) },
    { name: 'train.log', key: `${prefix}/train.log`, size: log.length, sha256: sha(log) },
  ]);
  for (const f of m.files) assert.equal(sha(await store.getBuffer(f.key)), f.sha256);
  assert.deepEqual(m.metrics, { recallAt1: 0.5 });
  assert.equal(m.timings.trainMs, 12);
  assert.ok(m.timings.totalMs >= 0);
  assert.ok(!Number.isNaN(Date.parse(m.createdAt)));
  assert.deepEqual(await readManifest(store, prefix), m);

  // Same inputs in another key order: same digest, cached, produce not called.
  const sameDigest = stageDigest('train', 1, { seed: 1, lr: 0.001, loss: 'arcface' }, []);
  assert.equal(sameDigest, digest);
  const again = await runCached(store, { ...ref, digest: sameDigest }, async () => {
    calls++;
    return { metrics: {} };
  });
  assert.equal(again.cached, true);
  assert.equal(calls, 1);
  assert.deepEqual(again.manifest, m);

  // A changed input is another digest: produce runs.
  const other = stageDigest('train', 1, { loss: 'arcface', lr: 0.002, seed: 1 }, []);
  assert.notEqual(other, digest);
  const third = await runCached(store, { ...ref, digest: other }, async (w) => {
    calls++;
    await w.putJson('metrics.json', { r: 1 });
    return { metrics: { r: 1 } };
  });
  assert.equal(third.cached, false);
  assert.equal(calls, 2);
});

test('a produce that throws leaves no manifest; the rerun runs produce again and overwrites', async () => {
  const ref = { experiment: 'exp1', stage: 'evaluate', digest: stageDigest('evaluate', 1, { k: 1 }, []) };
  const prefix = stagePrefix(ref);
  await assert.rejects(
    runCached(store, ref, async (w) => {
      await w.putBuffer('part-1.bin', Buffer.from('first attempt'));
      throw new Error('worker lost');
    }),
    /worker lost/,
  );
  assert.equal(await readManifest(store, prefix), undefined);
  assert.equal(await store.exists(`${prefix}/${MANIFEST_NAME}`), false);
  // The half-written file is kept (a training stage resumes from such checkpoints)...
  assert.deepEqual(await store.list(`${prefix}/`), [`${prefix}/part-1.bin`]);

  let calls = 0;
  const rerun = await runCached(store, ref, async (w) => {
    calls++;
    await w.putBuffer('part-1.bin', Buffer.from('second attempt'));
    return { metrics: { ok: true } };
  });
  assert.equal(calls, 1);
  assert.equal(rerun.cached, false);
  // ...and overwritten by the attempt that completes.
  assert.equal((await store.getBuffer(`${prefix}/part-1.bin`)).toString(), 'second attempt');
  assert.deepEqual(
    rerun.manifest.files.map((f) => [f.name, f.size]),
    [['part-1.bin', 14]],
  );
  assert.deepEqual(await store.list(`${prefix}/`), [`${prefix}/${MANIFEST_NAME}`, `${prefix}/part-1.bin`]);
});

test('writer and protocol errors are clear', async () => {
  const ref = { experiment: 'exp1', stage: 'masks', digest: stageDigest('masks', 1, {}, []) };
  assert.throws(() => stagePrefix({ ...ref, experiment: 'a/b' }), /experiment id "a\/b"/);
  assert.throws(
    () => stagePrefix({ ...ref, digest: 'abc' }),
    /stage digest "abc" of exp1\/masks: expected 64 lowercase hex/,
  );
  const w = new StageWriter(store, ref);
  await assert.rejects(w.putBuffer(MANIFEST_NAME, Buffer.from('{}')), /reserved for the manifest/);
  await assert.rejects(w.putBuffer('../escape', Buffer.from('x')), /must be a relative path/);
  await assert.rejects(
    w.putStream('sized.bin', Readable.from([Buffer.alloc(10)]), 11),
    /exp1\/masks\/[0-9a-f]{64}\/sized\.bin: stream gave 10 bytes, expected 11/,
  );
  await w.commit({}, {});
  await assert.rejects(w.putBuffer('late.bin', Buffer.from('x')), /already committed/);
  // A manifest whose digest disagrees with its prefix is reported, not trusted.
  const bad = { ...ref, digest: stageDigest('masks', 2, {}, []) };
  const m = (await readManifest(store, stagePrefix(ref)))!;
  await store.putJson(`${stagePrefix(bad)}/${MANIFEST_NAME}`, m);
  await assert.rejects(
    readManifest(store, stagePrefix(bad)),
    /manifest digest [0-9a-f]{64} does not match its prefix digest/,
  );
});

test("a worker's data cache downloads a stage file once, verified, into the store's layout, then serves it from disk", async () => {
  const cacheDir = path.join(scratch, 'worker-cache');
  const data = new DataCache(cacheDir);
  const content = Buffer.from('shard bytes '.repeat(500));
  const ref = { experiment: 'cache', stage: 'shards', digest: stageDigest('shards', 1, { n: 1 }, []) };
  const w = new StageWriter(store, ref);
  const { key } = await w.putBuffer('shard-0.bin', content);
  await w.putBuffer('shard-1.bin', content);
  await w.commit({}, {});
  const first = await data.localFile(store, key);
  assert.equal(first, path.join(cacheDir, BUCKET, ...key.split('/')));
  assert.deepEqual(fs.readFileSync(first), content);
  assert.deepEqual(fs.readdirSync(path.dirname(first)), ['shard-0.bin'], 'no .part file left behind');
  // Keys carry content digests, so a cached copy is never stale: the second call must not ask the
  // store at all (here the object is gone, and the call still succeeds from disk).
  await store.remove(key);
  assert.equal(await data.localFile(store, key), first);
  assert.deepEqual(fs.readFileSync(first), content);
  // A damaged object is refused, naming it, and nothing of it stays on disk.
  const other = w.keyOf('shard-1.bin');
  await store.putBuffer(other, Buffer.from('shard bytes '.repeat(499) + 'shard bytez '));
  await assert.rejects(
    data.localFile(store, other),
    /corrupt object s3:\/\/[a-z0-9.-]+\/cache\/shards\/[0-9a-f]{64}\/shard-1\.bin: file sha256 mismatch/,
  );
  assert.deepEqual(fs.readdirSync(path.dirname(first)), ['shard-0.bin']);
  // A key its stage's manifest does not list is not read at all.
  await assert.rejects(data.localFile(store, w.keyOf('missing.bin')), /missing\.bin: manifest entry mismatch/);
  assert.equal(fs.existsSync(path.join(path.dirname(first), 'missing.bin')), false);
});

test('a cached stage that fails verification is recomputed, with the object and digests named', async () => {
  const ref = { experiment: 'verify', stage: 'train', digest: stageDigest('train', 1, { v: 1 }, []) };
  const prefix = stagePrefix(ref);
  let calls = 0;
  const produce = async (w: StageWriter) => {
    calls++;
    await w.putBuffer('weights.bin', Buffer.from('good weights'));
    return { metrics: { mapAtR: 0.75 } };
  };
  const heard: string[] = [];
  const run = () => runCached(store, ref, produce, (e) => heard.push(e.message));
  const first = await run();
  assert.match(first.manifest.contentSha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal((await run()).cached, true);
  assert.equal(calls, 1);

  // A file that changed: recomputed, and the message names it with both digests.
  await store.putBuffer(`${prefix}/weights.bin`, Buffer.from('evil weights'));
  const again = await run();
  assert.equal(again.cached, false);
  assert.equal(calls, 2);
  assert.equal(
    heard.at(-1),
    `corrupt object s3://${BUCKET}/${prefix}/weights.bin: file sha256 mismatch (expected ${sha(Buffer.from('good weights'))}, ` +
      `actual ${sha(Buffer.from('evil weights'))})`,
  );
  assert.equal((await store.getBuffer(`${prefix}/weights.bin`)).toString(), 'good weights');

  // A metric edited in the manifest: its content hash disagrees.
  const key = `${prefix}/${MANIFEST_NAME}`;
  const edited = await store.getJson<{ metrics: { mapAtR: number } }>(key);
  edited.metrics.mapAtR = 0.5;
  await store.putJson(key, edited);
  await assert.rejects(readManifest(store, prefix), /content hash mismatch/);
  assert.equal((await run()).cached, false);
  assert.match(heard.at(-1)!, new RegExp(`^corrupt object s3://${BUCKET}/${key}: content hash mismatch`));
  assert.equal((await readManifest(store, prefix))!.metrics.mapAtR, 0.75);

  // A manifest from before content hashes: not trusted, recomputed once.
  const { contentSha256: _drop, ...legacy } = (await store.getJson(key)) as Record<string, unknown>;
  await store.putJson(key, legacy);
  assert.equal((await run()).cached, false);
  assert.match(heard.at(-1)!, /content hash mismatch \(expected a contentSha256 field, actual none\): written before/);
  assert.equal((await run()).cached, true);
  assert.equal(calls, 4);
});
