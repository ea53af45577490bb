import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { ensureServices } from '../../services/embedded';
import { analyzeId, reproduceId } from '../../contracts/ids';
import type { Progress } from '../../workflows/progress';
import { connectClient } from '../temporalClient';
import { formatServerStatus, serverStatus } from '../serverStatus';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      "show an experiment's progress: stages, grid cells (epoch, metrics, cached), analysis; " +
        'without a worker, what the Temporal server keeps (state, stage, runs, result or failure)',
    )
    .requiredOption('--experiment <id>', 'experiment id')
    .option('--json', 'print the progress object as JSON')
    .action(async (opts: { experiment: string; json?: boolean }) => {
      const endpoints = await ensureServices();
      const { client, close } = await connectClient(endpoints);
      try {
        console.log(await experimentStatus(client, opts.experiment, opts.json ?? false, endpoints.temporal.address));
      } finally {
        await close();
      }
    });
}

/**
 * The study's run, else the analysis's: the live progress when a worker answers the query, else
 * what the server itself keeps (cli/serverStatus.ts), which needs no worker.
 */
export async function experimentStatus(client: Client, experiment: string, json: boolean, address: string) {
  for (const id of [reproduceId(experiment), analyzeId(experiment)]) {
    const server = await serverStatus(client, id);
    if (!server) continue;
    const progress = await queryProgress(client, id);
    if (json) return JSON.stringify(progress ?? server, null, 2);
    if (progress) return formatProgress(progress);
    return `${formatServerStatus(server)}
(no worker answered the progress query: this is what the Temporal server keeps)`;
  }
  throw new Error(
    `no run of experiment ${experiment} found on ${address} (workflows ${reproduceId(experiment)}, ${analyzeId(experiment)})`,
  );
}

/** A query waits for a worker to answer: one that does not come soon means none polls. */
const QUERY_TIMEOUT_MS = 3_000;

async function queryProgress(client: Client, workflowId: string): Promise<Progress | undefined> {
  // A deadline on the call itself, so that no RPC is left waiting when the connection closes.
  return client.workflow
    .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
      client.workflow.getHandle(workflowId).query<Progress>('progress'),
    )
    .catch(() => undefined);
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
