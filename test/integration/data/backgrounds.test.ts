import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { GT_MASKS_SHA256SUMS, UNSPLASH_BACKGROUNDS_SHA256SUMS } from '../../../configs/paper/backgrounds';
import { fetchBackgrounds } from '../../../lib/data/backgrounds';
import { readSha256SumsFile } from '../../../lib/data/download/checksumList';
import { startHttpFileServer } from '../../helpers/httpFileServer';
import { SHARED_DATA, SHARED_DATA_MISSING } from '../../helpers/sharedData';

const BG = join(SHARED_DATA, 'unsplash_backgrounds');
const UNSPLASH_BACKGROUNDS = readSha256SumsFile(UNSPLASH_BACKGROUNDS_SHA256SUMS);
const GT_MASK_FILES = readSha256SumsFile(GT_MASKS_SHA256SUMS);

test("the shipped lists equal the paper repository's SHA256SUMS files", { skip: SHARED_DATA_MISSING }, () => {
  const fromShared = (p: string) =>
    readFileSync(p, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/))
      .map(([sum, path]) => `${path.replace('./', '')} ${sum}`)
      .sort();
  assert.deepEqual(
    UNSPLASH_BACKGROUNDS.map((f) => `${f.path} ${f.sha256}`),
    fromShared(join(BG, 'SHA256SUMS')),
  );
  assert.deepEqual(
    GT_MASK_FILES.map((f) => `${f.path} ${f.sha256}`),
    fromShared(join(SHARED_DATA, 'gt_masks', 'SHA256SUMS')),
  );
  assert.equal(UNSPLASH_BACKGROUNDS.filter((f) => f.path.startsWith('val/')).length, 100);
  assert.equal(UNSPLASH_BACKGROUNDS.filter((f) => f.path.startsWith('test/')).length, 100);
});

test(
  'all 200 backgrounds are downloaded over HTTP and verified; a modified file is rejected',
  { skip: SHARED_DATA_MISSING },
  async () => {
    const srv = await startHttpFileServer(BG);
    try {
      const destDir = mkdtempSync(join(tmpdir(), 'bgbg-'));
      const pools = await fetchBackgrounds({
        source: `${srv.baseUrl}/`,
        destDir,
        files: UNSPLASH_BACKGROUNDS,
        retries: 0,
      });
      assert.equal(pools.val.length, 100);
      assert.equal(pools.test.length, 100);
      assert.deepEqual(
        pools.val.map((p) => basename(p)),
        [...pools.val.map((p) => basename(p))].sort(),
      );
      // Independent check of every downloaded file against the published list.
      const sums = new Map(
        readFileSync(join(BG, 'SHA256SUMS'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/))
          .map(([s, p]) => [p.replace('./', ''), s]),
      );
      for (const p of [...pools.val, ...pools.test]) {
        const rel = p.slice(destDir.length + 1);
        assert.equal(createHash('sha256').update(readFileSync(p)).digest('hex'), sums.get(rel), rel);
      }
      // A mirror serving one modified file: rejected, naming the file and both sums.
      const victim = UNSPLASH_BACKGROUNDS[3];
      const bytes = Buffer.from(readFileSync(join(BG, victim.path)));
      bytes[bytes.length - 10] ^= 1;
      srv.put(`/${victim.path}`, bytes);
      const actual = createHash('sha256').update(bytes).digest('hex');
      await assert.rejects(
        fetchBackgrounds({
          source: `${srv.baseUrl}/`,
          destDir: mkdtempSync(join(tmpdir(), 'bgbg-')),
          files: UNSPLASH_BACKGROUNDS,
          retries: 0,
        }),
        (e: Error) => {
          assert.match(e.message, new RegExp(victim.path.replace(/[.]/g, '\\.')));
          assert.match(e.message, new RegExp(`sha256 expected ${victim.sha256}, actual ${actual}`));
          return true;
        },
      );
    } finally {
      await srv.close();
    }
  },
);

test('a local copy of the paper data can serve as the source', { skip: SHARED_DATA_MISSING }, async () => {
  const pools = await fetchBackgrounds({
    source: BG,
    destDir: mkdtempSync(join(tmpdir(), 'bgbg-')),
    files: UNSPLASH_BACKGROUNDS.slice(0, 3),
  });
  assert.equal(pools.test.length, 3);
});
