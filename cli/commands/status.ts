import type { Command } from 'commander';
import { ensureServices } from '../../services/embedded';
import { analyzeId, reproduceId } from '../../contracts/ids';
import type { Progress } from '../../workflows/progress';
import { connectClient } from '../temporalClient';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("show an experiment's progress: stages, grid cells (epoch, metrics, cached), analysis")
    .requiredOption('--experiment <id>', 'experiment id')
    .option('--json', 'print the progress object as JSON')
    .action(async (opts: { experiment: string; json?: boolean }) => {
      const endpoints = await ensureServices();
      const { client, close } = await connectClient(endpoints);
      try {
        const progress =
          (await queryProgress(client.workflow.getHandle(reproduceId(opts.experiment)))) ??
          (await queryProgress(client.workflow.getHandle(analyzeId(opts.experiment))));
        if (!progress)
          throw new Error(`no run of experiment ${opts.experiment} found on ${endpoints.temporal.address}`);
        console.log(opts.json ? JSON.stringify(progress, null, 2) : formatProgress(progress));
      } finally {
        await close();
      }
    });
}

async function queryProgress(handle: { query: <T>(name: string) => Promise<T> }): Promise<Progress | undefined> {
  try {
    return await handle.query<Progress>('progress');
  } catch {
    return undefined;
  }
}

const pct = (v: number | undefined) => (v === undefined ? '-' : (100 * v).toFixed(2));

export function formatProgress(p: Progress): string {
  const lines = [
    `experiment ${p.experiment} (${p.preset ?? '?'}): ${p.stage}${p.error ? ` - ${p.error}` : ''}`,
    `stages: ${Object.entries(p.stages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  if (Object.keys(p.datasets).length)
    lines.push(
      `datasets: ${Object.entries(p.datasets)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (p.cells.length) {
    lines.push(
      '',
      'cell                                              state    epoch   ' +
        'val clean/swap   test clean/swapped  attention',
    );
    for (const c of p.cells) {
      lines.push(
        [
          c.id.padEnd(50),
          c.state.padEnd(8),
          (c.epoch !== undefined ? `${c.epoch}/${c.maxEpochs ?? '?'}` : '-').padEnd(7),
          `${pct(c.valClean)}/${pct(c.valSwapped)}`.padEnd(16),
          (c.test ? `${pct(c.test.clean.mapAtR)}/${pct(c.test.swappedMapAtR)}` : '-').padEnd(19),
          c.attention !== undefined ? c.attention.toFixed(3) : '-',
        ].join(' '),
      );
    }
  }
  lines.push(
    '',
    `analysis: ${p.analysis.state} ` +
      `${p.analysis.done}/${p.analysis.total}${p.analysis.cached ? ` (${p.analysis.cached} cached)` : ''}`,
  );
  return lines.join('\n');
}
