/** The files of a model under audit and their digest: what the audit's cache key rests on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { filesDigest, modelFiles, tfjsWeightFiles } from '../../../lib/audit/models/modelFiles';

const LAYERS = path.join(__dirname, '../../fixtures/audit/tiny_net/layers/model.json');
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

test('a tfjs model is its model.json and the weight files it names, each with its sha256', async () => {
  const m = await modelFiles('tfjs', LAYERS);
  assert.equal(m.entry, 'model.json');
  assert.deepEqual(
    m.files.map((f) => f.name),
    ['model.json', 'weights.bin'],
  );
  for (const f of m.files) {
    assert.equal(f.sha256, sha(f.path));
    assert.equal(f.bytes, fs.statSync(f.path).size);
  }
  // digest over sorted "name\0sha\n" lines, computed here independently
  const expected = createHash('sha256')
    .update(m.files.map((f) => `${f.name}\0${f.sha256}\n`).join(''))
    .digest('hex');
  assert.equal(m.sha256, expected);
});

test('the digest follows the bytes, not the folder', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-model-files-'));
  for (const f of ['model.json', 'weights.bin']) fs.copyFileSync(path.join(path.dirname(LAYERS), f), path.join(dir, f));
  const a = await modelFiles('tfjs', LAYERS);
  const b = await modelFiles('tfjs', path.join(dir, 'model.json'));
  assert.equal(b.sha256, a.sha256);
  const w = fs.readFileSync(path.join(dir, 'weights.bin'));
  w[0] ^= 1;
  fs.writeFileSync(path.join(dir, 'weights.bin'), w);
  assert.notEqual((await modelFiles('tfjs', path.join(dir, 'model.json'))).sha256, a.sha256);
  fs.rmSync(path.join(dir, 'weights.bin'));
  await assert.rejects(
    modelFiles('tfjs', path.join(dir, 'model.json')),
    /tfjs weight file .*weights\.bin: cannot read it/,
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

test('weight paths must stay inside the model folder; a model.json without a manifest is named', () => {
  assert.deepEqual(tfjsWeightFiles({ weightsManifest: [{ paths: ['a.bin', './b.bin', 'a.bin'] }] }, 'm.json'), [
    'a.bin',
    'b.bin',
  ]);
  assert.throws(
    () => tfjsWeightFiles({ weightsManifest: [{ paths: ['../../etc/passwd'] }] }, 'm.json'),
    /m\.json: weightsManifest\[0\]\.paths: \.\.\/\.\.\/etc\/passwd leaves the model's folder/,
  );
  assert.throws(
    () => tfjsWeightFiles({ weightsManifest: [{ paths: ['/abs.bin'] }] }, 'm.json'),
    /leaves the model's folder/,
  );
  assert.throws(() => tfjsWeightFiles({ format: 'layers-model' }, 'm.json'), /m\.json: no "weightsManifest" array/);
  assert.equal(
    filesDigest([
      { name: 'b', sha256: '1' },
      { name: 'a', sha256: '2' },
    ]),
    filesDigest([
      { name: 'a', sha256: '2' },
      { name: 'b', sha256: '1' },
    ]),
  );
});
