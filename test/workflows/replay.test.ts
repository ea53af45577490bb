/**
 * The committed histories of this release's workflows (test/fixtures/histories/, recorded by
 * `npm run record-histories`) replay against the current workflow code. A change that would break
 * runs in flight (another order of activities or children, a step added or removed without
 * patched()) makes a replay fail with a nondeterminism error, here in CI rather than on a grid that
 * has trained for days. No server is needed: the replay worker feeds the history to the bundle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { historyFromFixture } from './helpers/historyFixtures';

const DIR = path.resolve(__dirname, '../fixtures/histories');
const quiet = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

/** Every workflow type the release starts; each must have a recorded history. */
const EXPECTED = ['analyze-child', 'analyze', 'prepareDataset', 'reproducePaper', 'trainAndEvaluate'];

test('every committed workflow history replays against the current workflow bundle', { timeout: 300_000 }, async () => {
  const files = fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.deepEqual(
    files.map((f) => f.replace(/\.json$/, '')),
    EXPECTED,
    'one fixture per workflow (npm run record-histories)',
  );
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quiet });
  const names = new Map<string, string>();
  const histories = files.map((f) => {
    const fixture = historyFromFixture(fs.readFileSync(path.join(DIR, f), 'utf8'));
    names.set(fixture.workflowId, f.replace(/\.json$/, ''));
    return fixture;
  });
  const failures: string[] = [];
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle }, histories)) {
    replayed++;
    if (r.error) failures.push(`${names.get(r.workflowId)}: ${r.error.name}: ${r.error.message}`);
  }
  assert.equal(replayed, EXPECTED.length);
  assert.deepEqual(failures, [], failures.join('\n\n'));
});
