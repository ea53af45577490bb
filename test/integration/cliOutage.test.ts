/**
 * A Temporal server restart in the middle of `bgbias run`: the command says the server is gone,
 * waits, says when it is back, and goes on; its worker processes reconnect on their own; the run
 * exits 0 with the results of an uninterrupted run. The dev server keeps its state in a sqlite file
 * (--db-filename in services/temporalServer.ts), so the workflow survives the restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectClient, type ConnectedClient } from '../../cli/temporalClient';
import { reproduceId, TASK_QUEUES } from '../../contracts/ids';
import { ensureServices } from '../../services/embedded';
import { serviceRecordFile } from '../../services/managedServer';
import { isPortFree } from '../../services/ports';
import { readProcessRecord, removeProcessRecord, stopProcess } from '../../services/processRecord';
import type { ReproducePaperResult } from '../../workflows/reproducePaper';
import { runCli, servicesEnv, type CliRun } from '../helpers/cliProcess';
import { startTestServices, type TestServices } from '../helpers/services';
import { resultExplained, startInProcessWorkers, tinyOverrides } from '../helpers/tinyExperiment';

let services: TestServices;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-cli-outage-'));
const runs: CliRun[] = [];

before(async () => {
  services = await startTestServices();
});

after(async () => {
  for (const r of runs) r.kill();
  await services?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

// Enough epochs that the restart lands while the grid trains.
const overrides = (experiment: string) =>
  tinyOverrides(experiment, {
    modes: ['base'],
    'training.maxEpochs': 6,
    'training.patience': 6,
    'sampler.iterationsPerEpoch': 6,
  });

const scores = (r: ReproducePaperResult) =>
  r.cells.map((c) => ({ id: c.cellId, clean: c.clean, swapped: c.swappedMapAtR }));

async function stopTemporal(): Promise<void> {
  const file = serviceRecordFile(services.stateDir, 'temporal');
  const record = readProcessRecord(file);
  assert.ok(record, 'the test Temporal server has a process record');
  await stopProcess(record.pid, record.executable, 10_000);
  const port = services.options.temporalPort!;
  for (let i = 0; i < 100 && !(await isPortFree(port)); i++) await new Promise((r) => setTimeout(r, 100));
  removeProcessRecord(file);
}

test(
  'a Temporal server restart during `bgbias run`: the command waits, goes on and exits 0 with the same results',
  {
    timeout: 900_000,
  },
  async () => {
    // The reference: the same settings, uninterrupted (its own experiment name).
    let reference: ReproducePaperResult;
    {
      const workers = startInProcessWorkers(services.endpoints);
      const temporal: ConnectedClient = await connectClient(services.endpoints);
      try {
        const handle = await temporal.client.workflow.start('reproducePaper', {
          taskQueue: TASK_QUEUES.cpu,
          workflowId: reproduceId('reference'),
          args: [{ preset: 'smoke', overrides: overrides('reference') }],
        });
        reference = await resultExplained<ReproducePaperResult>(handle);
      } finally {
        await temporal.close();
        await workers.stop();
      }
    }

    const experiment = 'outage';
    const args = Object.entries(overrides(experiment)).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    const env = servicesEnv(services.endpoints, {
      BGBIAS_STATE_DIR: path.join(scratch, 'cli-state'),
      ...(process.env.BGBIAS_PAPER_DATA_DIR ? { BGBIAS_PAPER_DATA_DIR: process.env.BGBIAS_PAPER_DATA_DIR } : {}),
    });
    // The command starts its own worker process, as for a user.
    const run = runCli(['run', '--preset', 'smoke', '--out', path.join(scratch, 'out'), ...args], env);
    runs.push(run);
    await run.waitFor(/epoch [1-9]\//, 300_000);

    const t0 = Date.now();
    await stopTemporal();
    await run.waitFor(/Temporal server unreachable/, 60_000);
    await new Promise((r) => setTimeout(r, 3_000)); // down a while: several polls fail
    await ensureServices(services.options);
    console.log(`Temporal server down for ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await run.waitFor(/Temporal server reachable again after \d+ s/, 120_000);

    const end = await run.exited;
    assert.equal(end.code, 0, end.output);
    assert.match(end.output, /finished in [\d.]+ s/);
    assert.match(end.output, /report: /);

    const temporal = await connectClient(services.endpoints);
    try {
      const result = (await temporal.client.workflow
        .getHandle(reproduceId(experiment))
        .result()) as ReproducePaperResult;
      assert.equal(result.cells.length, reference!.cells.length);
      assert.deepEqual(scores(result), scores(reference!), 'the same scores as the uninterrupted run');
    } finally {
      await temporal.close();
    }
  },
);
