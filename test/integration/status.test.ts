/**
 * `bgbias status --experiment X` for running and finished experiments, with and without a worker:
 * with one it shows the live progress query; without one, what the Temporal server keeps (state,
 * stage, the experiment's runs from visibility, the result from the history).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentStatus } from '../../cli/commands/status';
import { connectClient, type ConnectedClient } from '../../cli/temporalClient';
import type { ReproducePaperResult } from '../../workflows/reproducePaper';
import { runCli, servicesEnv } from '../helpers/cliProcess';
import { startTestServices, type TestServices } from '../helpers/services';
import { resultExplained, startInProcessWorkers, tinyOverrides } from '../helpers/tinyExperiment';
import { reproducePaperStart } from '../../cli/reproducePaperStart';

let services: TestServices;
let temporal: ConnectedClient;

before(async () => {
  services = await startTestServices();
  temporal = await connectClient(services.endpoints);
});

after(async () => {
  await temporal?.close();
  await services?.stop();
});

function start(experiment: string) {
  // As `bgbias run` starts it: the attributes that visibility finds the experiment's runs by.
  const input = { preset: 'smoke', overrides: tinyOverrides(experiment, { modes: ['base'] }) };
  return temporal.client.workflow.start('reproducePaper', reproducePaperStart(experiment, 'smoke', input));
}

const status = (experiment: string) =>
  experimentStatus(temporal.client, experiment, false, services.endpoints.temporal.address);

test(
  'a running and then finished experiment: live progress with a worker, the server record without',
  {
    timeout: 600_000,
  },
  async () => {
    const workers = startInProcessWorkers(services.endpoints);
    let result: ReproducePaperResult;
    try {
      const handle = await start('finished');
      // With a worker the progress query answers (its first line names experiment and preset).
      let live = '';
      for (let i = 0; i < 60 && !/^experiment finished \(smoke\)/.test(live); i++) {
        live = await status('finished');
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.match(live, /^experiment finished \(smoke\): /);
      result = await resultExplained<ReproducePaperResult>(handle);
    } finally {
      await workers.stop();
    }
    // No worker polls any more: the command (a separate process, as a user runs it) still answers.
    const run = runCli(['status', '--experiment', 'finished'], servicesEnv(services.endpoints));
    const end = await run.exited;
    assert.equal(end.code, 0, end.output);
    assert.match(end.output, /reproducePaper bgbias\/finished: completed \(stage done\)/);
    assert.match(end.output, /runs of this experiment: .*train 1 completed/);
    for (const c of result.cells) {
      const row = `${c.cellId.padEnd(50)} ${(100 * c.clean.mapAtR).toFixed(2)} / ${(100 * c.swappedMapAtR).toFixed(2)}`;
      assert.ok(end.output.includes(row), `row ${row} in\n${end.output}`);
    }
    assert.ok(end.output.includes(`report: ${result.reportPrefix}`), end.output);
    assert.match(end.output, /no worker answered the progress query/);
  },
);

test('a running experiment whose workers are gone, and an unknown one', { timeout: 120_000 }, async () => {
  const handle = await start('orphan');
  try {
    const shown = await status('orphan');
    assert.match(shown, /reproducePaper bgbias\/orphan: running \(stage config\)/);
    assert.match(shown, /no worker answered the progress query/);
  } finally {
    await handle.terminate('test over');
  }
  await assert.rejects(status('never-run'), /no run of experiment never-run found on 127\.0\.0\.1:\d+/);
});
