import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { resolveExperiment, parseOverrideArgs } from '../../configs/resolve';
import { absoluteFolderPaths } from '../folderPaths';
import { ensureServices } from '../../services/embedded';
import { BGBIAS_SEARCH_ATTRIBUTES } from '../../services/searchAttributes';
import { resolveStateDir } from '../../services/stateDir';
import { reproduceId } from '../../contracts/ids';
import { connectClient } from '../temporalClient';
import { findCudaLibDir } from '../cudaLibraries';
import { discoverGpus } from '../gpuDiscovery';
import { gpuPackageInstalled, planWorkers } from '../workerPlan';
import { startWorkerProcess } from '../workerProcess';
import { downloadReport } from '../downloadReport';
import { watchWorkflow } from '../watchWorkflow';
import { summarise } from '../progressView';
import { formatCostEstimate } from '../../lib/report/costEstimate';
import { refuseOtherStoredSettings, startOrJoin } from '../experimentGuard';
import { reproducePaperStart } from '../reproducePaperStart';

export interface RunOptions {
  preset: 'smoke' | 'paper';
  overrides: string[];
  out?: string;
  workers: boolean;
  /** A rehearsal of the configuration (configs/rehearsal.ts) ending with the full run's cost estimate. */
  rehearse?: boolean;
  /** Start afresh when the experiment name holds other settings (the old results are archived). */
  replace?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'run the whole study (reproducePaper): starts embedded services and a worker when needed, shows progress, ' +
        'writes the report',
    )
    .option(
      '--preset <name>',
      'smoke (minutes on a laptop) or paper (docs/protocol.md, needs GPUs and the datasets)',
      'smoke',
    )
    .option('--out <dir>', 'where report.json, tables and report.html go (default out/<experiment>)')
    .option('--no-workers', 'do not start a local worker (use workers running elsewhere)')
    .option(
      '--rehearse',
      "every stage on a small slice, as experiment <experiment>-rehearsal, ending with the full run's cost estimate",
    )
    .option(
      '--replace',
      'when the experiment name holds results of other settings, keep them under <experiment>/archive/<digest>/ ' +
        'and start afresh (without it such a run is refused)',
    )
    .argument('[overrides...]', 'settings as key.path=value, e.g. training.maxEpochs=5 losses=arcface,triplet')
    .action(
      async (
        overrides: string[],
        opts: { preset: 'smoke' | 'paper'; out?: string; workers: boolean; rehearse?: boolean; replace?: boolean },
      ) => {
        await runCommand({ ...opts, overrides });
      },
    );
}

export async function runCommand(o: RunOptions): Promise<void> {
  const t0 = Date.now();
  // Validate here first: a bad setting is reported before anything starts.
  const input = {
    preset: o.preset,
    overrides: absoluteFolderPaths(parseOverrideArgs(o.overrides), process.cwd()),
    rehearse: o.rehearse ?? false,
    replace: o.replace === true,
  };
  const config = resolveExperiment(input);
  const stateDir = resolveStateDir();
  const endpoints = await ensureServices({ searchAttributes: BGBIAS_SEARCH_ATTRIBUTES, log: (l) => console.log(l) });
  // Before any worker starts: an experiment name holding other settings is refused, with the differences.
  await refuseOtherStoredSettings(endpoints.s3, config, input.replace);
  if (endpoints.temporal.uiUrl)
    console.log(`Temporal UI: ${endpoints.temporal.uiUrl}/namespaces/${endpoints.temporal.namespace}/workflows`);
  // With GPUs and tfjs-node-gpu: one training process per GPU (+ one cpu-queue process); without:
  // one per concurrent cell (cli/workerPlan.ts).
  const plan = o.workers
    ? planWorkers({
        cells: config.concurrency.cells,
        cores: os.availableParallelism(),
        discovery: discoverGpus(),
        gpuPackage: gpuPackageInstalled(),
        cudaLibDir: findCudaLibDir(path.resolve(__dirname, '..', '..')),
        ldLibraryPath: process.env.LD_LIBRARY_PATH,
      })
    : undefined;
  for (const note of plan?.notes ?? []) console.log(`note: ${note}`);
  const worker = plan ? startWorkerProcess(stateDir, plan) : undefined;
  for (const w of worker?.all ?? []) {
    const t = w.spec.threads;
    console.log(
      `worker started (pid ${w.child.pid}` +
        `${w.spec.env.BGBIAS_GPU ? `, ${w.spec.env.BGBIAS_GPU}` : ''}` +
        `${t ? `, ${t} TensorFlow thread${t > 1 ? 's' : ''}` : ''}, log ${w.logFile})`,
    );
  }
  const { client, close } = await connectClient(endpoints);
  try {
    const workflowId = reproduceId(config.experiment);
    // A run already in progress is joined when it has the same settings, refused otherwise; a finished
    // one runs again (cached stages return at once).
    const { handle, joined } = await startOrJoin(client, config, () =>
      client.workflow.start('reproducePaper', {
        ...reproducePaperStart(config.experiment, config.preset, input),
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      }),
    );
    console.log(joined ? `joined the running ${workflowId} (same settings)` : `started ${workflowId}`);
    const { result, progress } = await watchWorkflow(handle, worker);
    if (progress) console.log(summarise(progress));
    const outDir = path.resolve(o.out ?? path.join('out', config.experiment));
    const files = await downloadReport(endpoints.s3, config.storage.bucket, result.reportPrefix, outDir);
    console.log(`\n${files.table1}\n`);
    console.log(`report: ${files.dir} (${files.names.join(', ')})`);
    if (result.costEstimate) console.log(`\n${formatCostEstimate(result.costEstimate).join('\n')}\n`);
    console.log(`finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await worker?.stop();
    await close();
  }
}
