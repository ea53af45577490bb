/**
 * The `bgbias` command. Each subcommand lives in cli/commands/<name>.ts.
 */
import { Command } from 'commander';
import { registerAnalyze } from './commands/analyze';
import { registerAudit } from './commands/audit';
import { registerExport } from './commands/export';
import { registerRun } from './commands/run';
import { registerStatus } from './commands/status';
import { registerServices } from './commands/services';
import { registerEvaluate } from './commands/evaluate';
import { registerMaskQuality } from './commands/maskQuality';
import { registerWorker } from './commands/worker';

export function buildProgram(): Command {
  const program = new Command('bgbias')
    .description('background bias in deep metric learning: the paper reproduced as a durable Temporal workflow')
    .showHelpAfterError();
  registerRun(program);
  registerAnalyze(program);
  registerAudit(program);
  registerExport(program);
  registerStatus(program);
  registerServices(program);
  registerEvaluate(program);
  registerMaskQuality(program);
  registerWorker(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(`bgbias: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
