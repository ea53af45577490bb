import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ensureServices } from '../../services/embedded';
import { exportCellSafetensors } from '../exportCell';
import { readWaitingOutS3 } from '../s3Outage';
import { describeS3Endpoint } from '../../lib/store/s3Endpoint';
import { initBackend } from '../../lib/ml/backend';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("write a trained BN-Inception cell's best weights as safetensors, for PyTorch's load_state_dict")
    .requiredOption('--experiment <id>', 'experiment id')
    .requiredOption('--cell <id>', 'cell id, e.g. cub200/contrastive/bgaugment/s1')
    .option('--bucket <name>', 'S3 bucket of the experiment', 'bgbias')
    .option('--out <file>', 'output file (default out/<experiment>/<cell with / as _>.safetensors)')
    .action(async (opts: { experiment: string; cell: string; bucket: string; out?: string }) => {
      const endpoints = await ensureServices({ log: (l) => console.log(l) });
      await initBackend('auto');
      const { bytes, tensors } = await readWaitingOutS3(describeS3Endpoint(endpoints.s3), () =>
        exportCellSafetensors(endpoints.s3, opts.bucket, opts.experiment, opts.cell),
      );
      const out = path.resolve(
        opts.out ?? path.join('out', opts.experiment, `${opts.cell.replace(/\//g, '_')}.safetensors`),
      );
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, bytes);
      console.log(`wrote ${out} (${tensors} tensors, ${(bytes.length / 2 ** 20).toFixed(1)} MiB)`);
    });
}
