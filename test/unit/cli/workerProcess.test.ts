import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { singleWorkerPlan, type WorkerPlan } from '../../../cli/workerPlan';
import { exitDescription, startWorkerProcess, workerArgs } from '../../../cli/workerProcess';

// A worker killed by a signal (SIGKILL, the OOM killer) has exitCode null and signalCode set; the
// CLI's watch loop must still see it as gone, or it waits forever on a workflow nobody works on.
test('exited() reports a worker killed by a signal, and says which signal', async () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-workerproc-'));
  const workers = startWorkerProcess(stateDir, singleWorkerPlan());
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

test('workerArgs: the planned queues, threads and slots become workers/main.ts flags', () => {
  assert.deepEqual(workerArgs({ name: 'worker', queues: ['cpu', 'gpu'], env: {} }), ['--queues', 'cpu,gpu']);
  assert.deepEqual(
    workerArgs({ name: 'worker-gpu2', queues: ['gpu'], threads: 3, gpuSlots: 2, backend: 'tensorflow', env: {} }),
    ['--queues', 'gpu', '--threads', '3', '--gpu-slots', '2', '--backend', 'tensorflow'],
  );
});

// The pinning must reach the process itself: read its environment and command line from /proc
// (spawn returns after the exec, so they are the worker's own).
test('each planned process runs with its own CUDA_VISIBLE_DEVICES, flags and log file', async () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-workerproc-'));
  const plan: WorkerPlan = {
    kind: 'gpu',
    notes: [],
    processes: [
      { name: 'worker-cpu', queues: ['cpu'], threads: 1, env: { CUDA_VISIBLE_DEVICES: '' } },
      {
        name: 'worker-gpu2',
        queues: ['gpu'],
        threads: 1,
        gpuSlots: 2,
        env: { CUDA_VISIBLE_DEVICES: 'GPU-2222', CUDA_DEVICE_ORDER: 'PCI_BUS_ID', BGBIAS_GPU: 'GPU 2: test' },
      },
    ],
  };
  const workers = startWorkerProcess(stateDir, plan);
  try {
    const seen = workers.all.map(({ child, logFile }) => {
      const env = new Map(
        fs
          .readFileSync(`/proc/${child.pid}/environ`, 'utf8')
          .split('\0')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
      );
      const argv = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return { env, argv: argv.slice(argv.indexOf('--queues')), logFile: path.basename(logFile) };
    });
    assert.equal(seen[0].env.get('CUDA_VISIBLE_DEVICES'), '');
    assert.deepEqual(seen[0].argv, ['--queues', 'cpu', '--threads', '1']);
    assert.equal(seen[0].logFile, 'worker-cpu.log');
    assert.equal(seen[1].env.get('CUDA_VISIBLE_DEVICES'), 'GPU-2222');
    assert.equal(seen[1].env.get('BGBIAS_GPU'), 'GPU 2: test');
    assert.equal(seen[1].env.get('BGBIAS_STATE_DIR'), stateDir);
    assert.deepEqual(seen[1].argv, ['--queues', 'gpu', '--threads', '1', '--gpu-slots', '2']);
    assert.equal(seen[1].logFile, 'worker-gpu2.log');
  } finally {
    for (const { child } of workers.all) child.kill('SIGKILL');
    await workers.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});

// bgbias worker --gpus shows every process's output on its terminal, prefixed with the process's
// name, and keeps it in the log file; a process that fails at once ends the group (anyExit).
test('echo: output prefixed on the terminal and kept in the log file; anyExit names the process that ended', async () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-workerproc-'));
  // --threads 0 makes workers/main.ts stop at once with its error message (before any service).
  const plan: WorkerPlan = {
    kind: 'gpu',
    notes: [],
    processes: [{ name: 'worker-gpu1', queues: ['gpu'], threads: 0, env: {} }],
  };
  const printed: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    printed.push(String(chunk));
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    const workers = startWorkerProcess(stateDir, plan, { echo: true });
    const dead = await workers.anyExit;
    await workers.stop();
    await new Promise((r) => setTimeout(r, 200)); // the log stream's last write
    assert.equal(dead.spec.name, 'worker-gpu1');
    assert.equal(exitDescription(dead.child), 'code 1');
    const line = '--threads must be a positive integer, got "0"';
    assert.ok(
      printed.some((p) => p === `[worker-gpu1] ${line}\n`),
      `terminal: ${JSON.stringify(printed)}`,
    );
    assert.match(fs.readFileSync(path.join(stateDir, 'logs', 'worker-gpu1.log'), 'utf8'), new RegExp(`^${line}$`, 'm'));
  } finally {
    process.stdout.write = write;
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});
