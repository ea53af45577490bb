import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashPrefixFromName, loadBnInceptionWeights } from '../../../../lib/ml/models/pretrained';

const src = join(__dirname, '../../../fixtures/torch/small_legacy.pth');

test('the sha256 prefix in a hub-style name is checked', async () => {
  assert.equal(hashPrefixFromName('/x/bn_inception-52deb4733.pth'), '52deb4733');
  assert.equal(hashPrefixFromName('/x/weights.pth'), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'bgbias-pretrained-'));
  try {
    const sha = createHash('sha256').update(readFileSync(src)).digest('hex');
    const good = join(dir, `w-${sha.slice(0, 9)}.pth`);
    copyFileSync(src, good);
    // The prefix holds; the tensors (a small conv/bn/linear dict) are not BN-Inception's, and say so.
    await assert.rejects(
      loadBnInceptionWeights(good),
      /: \d+ tensor\(s\) do not fit the model[^]*missing conv1_7x7_s2\.weight \[64,3,7,7\][^]*unexpected weight conv\.weight/,
    );
    const bad = join(dir, 'bn_inception-52deb4733.pth');
    copyFileSync(src, bad);
    await assert.rejects(loadBnInceptionWeights(bad), /sha256 [0-9a-f]{64} does not start with 52deb4733/);
    await assert.rejects(loadBnInceptionWeights(join(dir, 'missing.pth')), /cannot read BN-Inception weights/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
