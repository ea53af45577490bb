import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveExperiment } from '../../../configs/resolve';
import { PAPER_REPO_RAW } from '../../../configs/paper/addresses';
import { paperDataSource, PAPER_DATA_ENV } from '../../../activities/paperData';

function localCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bgpaper-'));
  mkdirSync(join(dir, 'unsplash_backgrounds'));
  mkdirSync(join(dir, 'gt_masks'));
  return dir;
}

test('no local copy: both presets download from the public address, in the repository layout', () => {
  for (const preset of ['smoke', 'paper'] as const) {
    const config = resolveExperiment({ preset });
    assert.equal(config.data.localDataDir, undefined, `${preset} preset must not name a local copy`);
    assert.deepEqual(paperDataSource(config, 'backgrounds', {}), {
      source: `${PAPER_REPO_RAW}/data/unsplash_backgrounds/`,
      from: 'data.paperRepoUrl',
    });
    assert.equal(paperDataSource(config, 'gtMasks', {}).source, `${PAPER_REPO_RAW}/notebooks/gt_masks/`);
  }
});

test('BGBIAS_PAPER_DATA_DIR names a local copy; data.localDataDir takes precedence over it', () => {
  const fromEnv = localCopy();
  const fromSetting = localCopy();
  const smoke = resolveExperiment({ preset: 'smoke' });
  const env = { [PAPER_DATA_ENV]: fromEnv };
  assert.deepEqual(paperDataSource(smoke, 'backgrounds', env), {
    source: join(fromEnv, 'unsplash_backgrounds'),
    from: PAPER_DATA_ENV,
  });
  assert.equal(paperDataSource(smoke, 'gtMasks', env).source, join(fromEnv, 'gt_masks'));
  const withSetting = resolveExperiment({ preset: 'smoke', overrides: { 'data.localDataDir': fromSetting } });
  assert.deepEqual(paperDataSource(withSetting, 'backgrounds', env), {
    source: join(fromSetting, 'unsplash_backgrounds'),
    from: 'data.localDataDir',
  });
});

test('a local copy without the expected folder, or an empty variable, is an error that names it', () => {
  const smoke = resolveExperiment({ preset: 'smoke' });
  const empty = mkdtempSync(join(tmpdir(), 'bgpaper-'));
  assert.throws(
    () => paperDataSource(smoke, 'backgrounds', { [PAPER_DATA_ENV]: empty }),
    new RegExp(`${PAPER_DATA_ENV}=${empty}: no folder ${join(empty, 'unsplash_backgrounds')}`),
  );
  assert.throws(
    () => paperDataSource(smoke, 'gtMasks', { [PAPER_DATA_ENV]: ' ' }),
    /BGBIAS_PAPER_DATA_DIR is set but empty/,
  );
});
