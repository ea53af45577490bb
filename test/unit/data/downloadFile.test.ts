import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { downloadFile, downloadFromMirrors } from '../../../lib/data/download/downloadFile';
import { ChecksumMismatchError, hashFile } from '../../../lib/data/download/checksum';
import { startHttpFileServer } from '../../helpers/httpFileServer';

// Deterministic pseudo-random payload (LCG), 300 KB: several network chunks.
function payload(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
const data = payload(300_000);
const fileSize = (p: string) => (existsSync(p) ? statSync(p).size : 0);
const md5 = createHash('md5').update(data).digest('hex');
const sha256 = createHash('sha256').update(data).digest('hex');

test('hashFile matches published test vectors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bgdl-'));
  writeFileSync(join(dir, 'abc'), 'abc');
  const h = await hashFile(join(dir, 'abc'), ['md5', 'sha256']);
  assert.equal(h.md5, '900150983cd24fb0d6963f7d28e17f72');
  assert.equal(h.sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('plain download verifies md5 and sha256; a second call is served from the verified file', async () => {
  const srv = await startHttpFileServer();
  try {
    srv.put('/a.bin', data);
    const dest = join(mkdtempSync(join(tmpdir(), 'bgdl-')), 'a.bin');
    const r = await downloadFile({ url: `${srv.baseUrl}/a.bin`, dest, md5, sha256, retries: 0 });
    assert.equal(r.cached, false);
    assert.equal(r.bytes, data.length);
    assert.deepEqual(readFileSync(dest), data);
    assert.equal(existsSync(`${dest}.part`), false);
    const again = await downloadFile({ url: `${srv.baseUrl}/a.bin`, dest, md5, retries: 0 });
    assert.equal(again.cached, true);
    assert.equal(srv.requests.length, 1);
  } finally {
    await srv.close();
  }
});

test('an interrupted transfer is resumed with a Range request from the bytes already on disk', async () => {
  const srv = await startHttpFileServer();
  try {
    srv.put('/a.bin', data);
    const dest = join(mkdtempSync(join(tmpdir(), 'bgdl-')), 'a.bin');
    // The cut comes once the client has the 100 000 bytes on disk: on a loaded machine a cut after a
    // fixed delay could catch bytes still in flight, and the resume would start earlier.
    srv.cutShort('/a.bin', 100_000, 1, () => fileSize(`${dest}.part`) >= 100_000);
    const progress: number[] = [];
    const r = await downloadFile({
      url: `${srv.baseUrl}/a.bin`,
      dest,
      md5,
      retries: 2,
      backoffMs: 1,
      onProgress: (p) => progress.push(p.received),
    });
    assert.deepEqual(readFileSync(dest), data);
    assert.equal(srv.requests.length, 2);
    assert.equal(srv.requests[0].range, undefined);
    assert.equal(srv.requests[1].range, 'bytes=100000-');
    assert.equal(srv.requests[1].status, 206);
    assert.deepEqual(r.resumedAt, [100_000]);
    assert.equal(progress[progress.length - 1], data.length);
  } finally {
    await srv.close();
  }
});

test('a .part left by a killed process is resumed by the next call', async () => {
  const srv = await startHttpFileServer();
  try {
    srv.put('/a.bin', data);
    const dest = join(mkdtempSync(join(tmpdir(), 'bgdl-')), 'a.bin');
    writeFileSync(`${dest}.part`, data.subarray(0, 12_345));
    const r = await downloadFile({ url: `${srv.baseUrl}/a.bin`, dest, sha256, retries: 0 });
    assert.deepEqual(r.resumedAt, [12_345]);
    assert.deepEqual(readFileSync(dest), data);
  } finally {
    await srv.close();
  }
});

test('transient 503s are retried with backoff; 404 fails at once naming the address', async () => {
  const srv = await startHttpFileServer();
  try {
    srv.put('/a.bin', data);
    srv.failWith('/a.bin', 503, 2);
    const dest = join(mkdtempSync(join(tmpdir(), 'bgdl-')), 'a.bin');
    await downloadFile({ url: `${srv.baseUrl}/a.bin`, dest, md5, retries: 3, backoffMs: 1 });
    assert.deepEqual(
      srv.requests.map((r) => r.status),
      [503, 503, 200],
    );
    const before = srv.requests.length;
    await assert.rejects(
      downloadFile({ url: `${srv.baseUrl}/missing.bin`, dest: join(tmpdir(), 'x', 'm.bin'), retries: 3, backoffMs: 1 }),
      /missing\.bin failed: HTTP 404/,
    );
    assert.equal(srv.requests.length, before + 1);
  } finally {
    await srv.close();
  }
});

test('a wrong checksum is rejected naming file, expected and actual sum, and leaves no file behind', async () => {
  const srv = await startHttpFileServer();
  try {
    const bad = Buffer.from(data);
    bad[1000] ^= 0xff;
    srv.put('/a.bin', bad);
    const dest = join(mkdtempSync(join(tmpdir(), 'bgdl-')), 'a.bin');
    const actual = createHash('md5').update(bad).digest('hex');
    await assert.rejects(downloadFile({ url: `${srv.baseUrl}/a.bin`, dest, md5, retries: 0 }), (e: unknown) => {
      assert.ok(e instanceof ChecksumMismatchError);
      assert.equal(e.expected, md5);
      assert.equal(e.actual, actual);
      assert.match(e.message, /a\.bin/);
      assert.match(e.message, new RegExp(`expected ${md5}, actual ${actual}`));
      return true;
    });
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(`${dest}.part`), false);
  } finally {
    await srv.close();
  }
});

test('a damaged .part from an earlier run is refetched from scratch once', async () => {
  const srv = await startHttpFileServer();
  try {
    srv.put('/a.bin', data);
    const dest = join(mkdtempSync(join(tmpdir(), 'bgdl-')), 'a.bin');
    writeFileSync(`${dest}.part`, Buffer.alloc(5000, 1)); // wrong bytes: resume alone cannot fix it
    const r = await downloadFile({ url: `${srv.baseUrl}/a.bin`, dest, md5, retries: 0 });
    assert.deepEqual(readFileSync(dest), data);
    assert.deepEqual(
      srv.requests.map((q) => q.range),
      ['bytes=5000-', undefined],
    );
    assert.deepEqual(r.resumedAt, []);
  } finally {
    await srv.close();
  }
});

test('a server that ignores Range gets the whole file rewritten', async () => {
  const srv = await startHttpFileServer();
  try {
    srv.put('/a.bin', data);
    srv.ignoreRange = true;
    const dest = join(mkdtempSync(join(tmpdir(), 'bgdl-')), 'a.bin');
    writeFileSync(`${dest}.part`, data.subarray(0, 777));
    await downloadFile({ url: `${srv.baseUrl}/a.bin`, dest, md5, retries: 0 });
    assert.deepEqual(readFileSync(dest), data);
  } finally {
    await srv.close();
  }
});

test('mirrors are tried in order; file:// mirrors work; unsupported schemes are named', async () => {
  const srv = await startHttpFileServer();
  const dir = mkdtempSync(join(tmpdir(), 'bgdl-'));
  try {
    writeFileSync(join(dir, 'src.bin'), data);
    const dest = join(dir, 'out', 'a.bin');
    const r = await downloadFromMirrors(
      [`${srv.baseUrl}/gone.bin`, 'ftp://cs.stanford.edu/x.zip', pathToFileURL(join(dir, 'src.bin')).href],
      { dest, md5, retries: 0 },
    );
    assert.equal(r.md5, md5);
    rmSync(dest);
    await assert.rejects(
      downloadFromMirrors(['ftp://cs.stanford.edu/x.zip'], { dest, md5 }),
      /unsupported address 'ftp:\/\/cs\.stanford\.edu\/x\.zip'/,
    );
  } finally {
    await srv.close();
  }
});

test('an address nothing answers at gives up after one more try, not after the whole backoff series', async () => {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const dest = join(mkdtempSync(join(tmpdir(), 'bgdl-')), 'x.bin');
  const t0 = Date.now();
  // retries 5 from 1 s would wait 1+2+4+8+16 s; refused connections stop after 1 retry (1 s).
  await assert.rejects(
    downloadFile({ url: `http://127.0.0.1:${port}/x.bin`, dest, retries: 5, backoffMs: 1000 }),
    (e: Error) => {
      assert.match(e.message, new RegExp(`download of http://127\\.0\\.0\\.1:${port}/x\\.bin failed after 2 attempts`));
      assert.match(e.message, /ECONNREFUSED/);
      return true;
    },
  );
  const s = (Date.now() - t0) / 1000;
  assert.ok(s < 10, `gave up after ${s.toFixed(1)} s`);
});
