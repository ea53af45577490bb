import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { exitDescription, startWorkerProcess } from '../../../cli/workerProcess';

// A worker killed by a signal (SIGKILL, the OOM killer) has exitCode null and signalCode set; the
// CLI's watch loop must still see it as gone, or it waits forever on a workflow nobody works on.
test('exited() reports a worker killed by a signal, and says which signal', async () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-workerproc-'));
  const workers = startWorkerProcess(stateDir, { processes: 1 });
  try {
    assert.equal(workers.all.length, 1);
    assert.equal(workers.exited(), undefined, 'nothing has exited yet');
    const victim = workers.all[0];
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');
    const dead = workers.exited();
    assert.ok(dead, 'a signal-killed worker counts as exited');
    assert.equal(dead.logFile, path.join(stateDir, 'logs', 'worker.log'));
    assert.equal(exitDescription(dead.child), 'signal SIGKILL');
  } finally {
    await workers.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
  assert.ok(
    workers.all.every(({ child }) => child.exitCode !== null || child.signalCode !== null),
    'stop() ends every worker',
  );
});
