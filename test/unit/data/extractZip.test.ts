import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractZip } from '../../../lib/data/download/extract';
import { storedZip } from '../../helpers/storedZip';

function zipFile(entries: Array<{ name: string; data: string }>): { archive: string; dest: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bgzip-'));
  const archive = join(dir, 'Stanford_Online_Products.zip');
  writeFileSync(archive, storedZip(entries.map((e) => ({ name: e.name, data: Buffer.from(e.data) }))));
  return { archive, dest: join(dir, 'out') };
}

test('a zip extracts its entries (the writer of the next test is a valid zip)', async () => {
  const { archive, dest } = zipFile([
    { name: 'sop/', data: '' },
    { name: 'sop/a.txt', data: 'first' },
    { name: 'sop/b.txt', data: 'second' },
  ]);
  await extractZip(archive, dest);
  assert.equal(readFileSync(join(dest, 'sop', 'a.txt'), 'utf8'), 'first');
  assert.equal(readFileSync(join(dest, 'sop', 'b.txt'), 'utf8'), 'second');
});

test('a duplicate zip entry is an error naming the entry, not a silent overwrite', async () => {
  const { archive, dest } = zipFile([
    { name: 'sop/a.txt', data: 'first' },
    { name: 'sop/a.txt', data: 'second' },
  ]);
  await assert.rejects(
    extractZip(archive, dest),
    (e: Error) =>
      e.name === 'ArchiveError' &&
      e.message === `cannot extract ${archive}: entry 'sop/a.txt' occurs twice: the second would overwrite the first`,
  );
  // The same path under another spelling (./) is the same file.
  const other = zipFile([
    { name: 'sop/a.txt', data: 'first' },
    { name: 'sop/./a.txt', data: 'second' },
  ]);
  await assert.rejects(
    extractZip(other.archive, other.dest),
    /entry 'sop\/\.\/a\.txt' occurs twice \(also as 'sop\/a\.txt'\)/,
  );
});
