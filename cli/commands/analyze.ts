import path from 'node:path';
import type { Command } from 'commander';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { AnalyzeResult } from '../../workflows/analyze';
import { analyzeId, TASK_QUEUES } from '../../contracts/ids';
import { EXPERIMENT, STAGE } from '../../contracts/searchAttributes';
import { downloadReport } from '../downloadReport';
import { watchWorkflow } from '../watchWorkflow';
import { summarise } from '../progressView';
import { openLocalSession } from '../localSession';

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description(
      'rerun only the analysis (attribution, attention scores, figure, report) of a finished experiment; never trains',
    )
    .requiredOption('--experiment <id>', 'experiment id (the `experiment` setting of the run)')
    .option('--bucket <name>', 'S3 bucket of the experiment', 'bgbias')
    .option('--no-force', 'reuse attribution results already in the store')
    .option('--out <dir>', 'where the report goes (default out/<experiment>)')
    .option('--no-workers', 'do not start a local worker')
    .action(async (opts: { experiment: string; bucket: string; force: boolean; out?: string; workers: boolean }) => {
      const session = await openLocalSession(opts.workers);
      const { endpoints, client, worker } = session;
      try {
        const handle = await client.workflow.start('analyze', {
          taskQueue: TASK_QUEUES.cpu,
          workflowId: analyzeId(opts.experiment),
          args: [{ experiment: opts.experiment, force: opts.force, bucket: opts.bucket }],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: [
            { key: EXPERIMENT, value: opts.experiment },
            { key: STAGE, value: 'analyze' },
          ],
        });
        console.log(`started ${handle.workflowId}`);
        const { result, progress } = await watchWorkflow<AnalyzeResult>(handle, worker);
        if (progress) console.log(summarise(progress));
        if (result.skipped?.length)
          console.log(
            `note: ${result.skipped.length} cell records of other settings left out: ${result.skipped.join(', ')}`,
          );
        const files = await downloadReport(
          endpoints.s3,
          opts.bucket,
          result.reportPrefix,
          path.resolve(opts.out ?? path.join('out', opts.experiment)),
        );
        console.log(`\n${files.table1}\n\nreport: ${files.dir}`);
      } finally {
        await session.close();
      }
    });
}
