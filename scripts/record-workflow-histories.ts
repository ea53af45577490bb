/**
 * Records the event histories of this release's workflows as replay fixtures
 * (test/fixtures/histories/*.json, replayed by test/workflows/replay.test.ts): a tiny synthetic
 * reproducePaper with its children (prepareDataset, one trainAndEvaluate cell, analyze) and a
 * standalone `bgbias analyze` (force) of the same experiment. Real activities on the embedded
 * services (random ports, a throwaway state folder), so the histories hold what production
 * workers write. About two minutes on 2 cores.
 *
 *   npm run record-histories
 *
 * Re-record after a deliberate change to a workflow's commands, and only when no run of the old
 * code is in flight anywhere (README "Upgrading workers"); otherwise use patched().
 */
import fs from 'node:fs';
import path from 'node:path';
import { connectClient } from '../cli/temporalClient';
import { analyzeId, cellId, cellWorkflowId, prepareId, reproduceId, TASK_QUEUES } from '../contracts/ids';
import { startTestServices } from '../test/helpers/services';
import { resultExplained, startInProcessWorkers, tinyOverrides } from '../test/helpers/tinyExperiment';
import { resolveExperiment } from '../configs/resolve';
import { gridCells } from '../workflows/gridCells';
import { historyToFixture } from '../test/workflows/helpers/historyFixtures';

const OUT = path.resolve(__dirname, '..', 'test', 'fixtures', 'histories');
const EXPERIMENT = 'histories';

async function main(): Promise<void> {
  const t0 = Date.now();
  // Like scripts/test.sh: the paper's backgrounds from the local copy beside the checkout, if any
  // (else the workers download them).
  const shared = path.resolve(__dirname, '..', '..', 'shared', 'data');
  if (process.env.BGBIAS_PAPER_DATA_DIR === undefined && fs.existsSync(shared))
    process.env.BGBIAS_PAPER_DATA_DIR = shared;
  const services = await startTestServices();
  const workers = startInProcessWorkers(services.endpoints);
  const { client, close } = await connectClient(services.endpoints);
  try {
    const input = { preset: 'smoke', overrides: tinyOverrides(EXPERIMENT, { modes: ['base'] }) };
    const config = resolveExperiment(input);
    const [cell] = gridCells(config);
    await resultExplained(
      await client.workflow.start('reproducePaper', {
        taskQueue: TASK_QUEUES.cpu,
        workflowId: reproduceId(EXPERIMENT),
        args: [input],
      }),
    );
    const recorded: Array<[string, string]> = [
      ['reproducePaper', reproduceId(EXPERIMENT)],
      ['prepareDataset', prepareId(EXPERIMENT, 'synthetic')],
      ['trainAndEvaluate', cellWorkflowId(EXPERIMENT, cell)],
      ['analyze-child', analyzeId(EXPERIMENT)],
    ];
    // Fetch the child's history before the standalone analyze reuses its workflow id.
    const histories = new Map<string, string>();
    for (const [name, id] of recorded)
      histories.set(name, historyToFixture(await client.workflow.getHandle(id).fetchHistory(), id));
    await resultExplained(
      await client.workflow.start('analyze', {
        taskQueue: TASK_QUEUES.cpu,
        workflowId: analyzeId(EXPERIMENT),
        args: [{ experiment: EXPERIMENT, force: true, bucket: config.storage.bucket }],
      }),
    );
    histories.set(
      'analyze',
      historyToFixture(await client.workflow.getHandle(analyzeId(EXPERIMENT)).fetchHistory(), analyzeId(EXPERIMENT)),
    );

    fs.mkdirSync(OUT, { recursive: true });
    for (const f of fs.readdirSync(OUT)) if (f.endsWith('.json')) fs.rmSync(path.join(OUT, f));
    for (const [name, text] of histories) {
      const file = path.join(OUT, `${name}.json`);
      fs.writeFileSync(file, text);
      console.log(`${path.relative(process.cwd(), file)}: ${text.split('\n').length - 3} events, ${text.length} bytes`);
    }
    console.log(
      `recorded ${histories.size} histories of cell ${cellId(cell)} in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  } finally {
    await close();
    await workers.stop();
    await services.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
