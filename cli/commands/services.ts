import type { Command } from 'commander';
import { ensureServices, servicesStatus, stopServices, type ServiceStatus } from '../../services/embedded';
import { BGBIAS_SEARCH_ATTRIBUTES } from '../../services/searchAttributes';
import { describeS3Endpoint } from '../../lib/store/s3Endpoint';

/** `bgbias services up|down|status`: the embedded Temporal dev server and S3 server. */
export function registerServices(program: Command): void {
  const services = program
    .command('services')
    .description(
      'start, stop or inspect the embedded Temporal dev server and S3 server (state in BGBIAS_STATE_DIR, default ' +
        '.bgbias/)',
    );

  services
    .command('up')
    .description(
      'start both servers in the background (reuses running ones; with TEMPORAL_ADDRESS / S3_ENDPOINT set, only ' +
        'checks those)',
    )
    .option('--state-dir <dir>', 'state folder (default: BGBIAS_STATE_DIR or <repo>/.bgbias)')
    .option('--timeout <seconds>', 'how long each server may take to answer', '60')
    .action(async (o: { stateDir?: string; timeout: string }) => {
      const endpoints = await ensureServices({
        stateDir: o.stateDir,
        searchAttributes: BGBIAS_SEARCH_ATTRIBUTES,
        readyTimeoutMs: seconds('--timeout', o.timeout) * 1000,
        log: (line) => console.log(line),
      });
      console.log(
        `Temporal: ${endpoints.temporal.address} (namespace ` +
          `${endpoints.temporal.namespace})${endpoints.temporal.uiUrl ? `, UI ${endpoints.temporal.uiUrl}` : ''}`,
      );
      console.log(`S3:       ${describeS3Endpoint(endpoints.s3)} (access key ${endpoints.s3.accessKey})`);
    });

  services
    .command('down')
    .description('stop the embedded servers (SIGTERM, then SIGKILL after the grace period); their data stays')
    .option('--state-dir <dir>', 'state folder (default: BGBIAS_STATE_DIR or <repo>/.bgbias)')
    .option('--grace <seconds>', 'seconds to wait after SIGTERM before SIGKILL', '15')
    .action(async (o: { stateDir?: string; grace: string }) => {
      const results = await stopServices({ stateDir: o.stateDir, graceMs: seconds('--grace', o.grace) * 1000 });
      for (const r of results) console.log(`${r.service}: ${r.result}`);
    });

  services
    .command('status')
    .description('show each service: address, pid, alive, answering, UI, log file')
    .option('--state-dir <dir>', 'state folder (default: BGBIAS_STATE_DIR or <repo>/.bgbias)')
    .option('--json', 'print JSON')
    .action(async (o: { stateDir?: string; json?: boolean }) => {
      const status = await servicesStatus({ stateDir: o.stateDir });
      console.log(o.json ? JSON.stringify(status, null, 2) : status.map(formatStatus).join('\n'));
      if (status.some((s) => !s.answering)) process.exitCode = 3;
    });
}

export function formatStatus(s: ServiceStatus): string {
  const parts = [`${s.service.padEnd(8)} ${s.mode.padEnd(8)} ${s.address}`];
  if (s.pid !== undefined) parts.push(`pid ${s.pid} ${s.alive ? 'alive' : 'not running'}`);
  parts.push(s.answering ? 'answering' : `NOT answering${s.error ? ` (${s.error.split('\n')[0]})` : ''}`);
  if (s.uiUrl) parts.push(`UI ${s.uiUrl}`);
  if (s.logFile) parts.push(`log ${s.logFile}`);
  return parts.join(', ');
}

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} ${value}: expected a positive number of seconds`);
  return n;
}
