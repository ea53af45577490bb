/**
 * Load: a grid of >= 40 tiny cells (synthetic data, 5 losses x 2 modes x N seeds, the tiny test
 * overrides) run by `reproducePaper` on three local worker processes, each with its own state and
 * cache folder, on freshly started embedded services (random ports, a temporary folder).
 *
 * Measured and checked:
 *   - the run completes, and every cell of the grid has its record, evaluation and attribution;
 *   - each cell trains exactly once: the training starts the workers log (`<cell>: input pool of`,
 *     once per trainCell attempt that trains) and the trainCell attempts in the cell workflows'
 *     histories; and one train stage per cell in the store;
 *   - worker RSS over the run: /proc/<pid>/status VmRSS of every worker every 2 s; printed as the
 *     median of the first and of the last quarter of the samples (flat: last/first close to 1);
 *   - per worker, the memory line it logs after every activity (workers/memoryLog.ts): RSS, V8 heap,
 *     external memory and tfjs tensors, as the median of the first and of the last quarter of its
 *     activities, so growth per activity (a leak) can be told from allocator warm-up.
 *
 * Usage: node --import tsx bench/grid-load.ts [--seeds 4] [--cells-at-once 3]
 * Not part of npm test (minutes). Numbers: docs/benchmarks.md.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectClient } from '../cli/temporalClient';
import { cellWorkflowId, reproduceId, TASK_QUEUES } from '../contracts/ids';
import { LOSS_NAMES } from '../contracts/grid';
import { ArtifactStore } from '../lib/store/artifactStore';
import type { ReproducePaperResult } from '../workflows/reproducePaper';
import { startTestServices } from '../test/helpers/services';
import { tinyOverrides } from '../test/helpers/tinyExperiment';
import { spawnWorkerProcess } from '../test/helpers/workerProcess';
import { positiveIntFlag } from './flags';
import { parseMemoryLines } from '../workers/memoryLog';

const DATA = process.env.BGBIAS_PAPER_DATA_DIR ?? path.resolve(__dirname, '..', '..', 'shared', 'data');

function rssKiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};

async function main(): Promise<void> {
  const seeds = positiveIntFlag('seeds', 4);
  const atOnce = positiveIntFlag('cells-at-once', 3);
  const started = Date.now();
  const services = await startTestServices();
  // Ctrl-C or a timeout still stops the workers and services (the finally below).
  const stopped = new Promise<never>((_, reject) =>
    ['SIGINT', 'SIGTERM'].forEach((sig) => process.once(sig, () => reject(new Error(`stopped by ${sig}`)))),
  );
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-grid-load-'));
  const workers: Array<{ name: string; child: ChildProcess; log: string; rss: number[] }> = [];
  let sampler: NodeJS.Timeout | undefined;
  const temporal = await connectClient(services.endpoints);
  try {
    for (const name of ['w1', 'w2', 'w3']) {
      const { child, log } = spawnWorkerProcess({
        endpoints: services.endpoints,
        stateDir: path.join(logDir, name),
        log: path.join(logDir, `${name}.log`),
        paperDataDir: DATA,
        args: ['--threads', '1', '--input-workers', '1'],
      });
      workers.push({ name, child, log, rss: [] });
    }
    sampler = setInterval(() => {
      for (const w of workers) {
        const r = w.child.pid === undefined ? undefined : rssKiB(w.child.pid);
        if (r !== undefined) w.rss.push(r);
      }
    }, 2000);
    const seedList = Array.from({ length: seeds }, (_, i) => i + 1);
    const overrides = tinyOverrides('load', {
      losses: [...LOSS_NAMES],
      modes: ['base', 'bgaugment'],
      seeds: seedList,
      // ArcFace and normalized softmax draw m = 1 per class: a batch of 16 needs 16 train classes.
      'data.synthetic.classes': { train: 16, val: 4, test: 4 },
      'training.maxEpochs': 1,
      'sampler.iterationsPerEpoch': 2,
      'evaluation.swappedRepetitions': 1,
      'attribution.maxImages': 2,
      'attribution.copies': 2,
      'attribution.figureImages': 1,
      'attribution.figureLoss': 'contrastive',
      'concurrency.cells': atOnce,
    });
    const handle = await temporal.client.workflow.start('reproducePaper', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: reproduceId('load'),
      args: [{ preset: 'smoke', overrides }],
    });
    const result = (await Promise.race([handle.result(), stopped])) as ReproducePaperResult;
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    sampler = undefined;

    const cells = result.cells.map((c) => c.cellId);
    // Training starts per cell, from the worker logs (one line per trainCell attempt that trains).
    const starts = new Map<string, number>();
    for (const w of workers) {
      for (const m of fs.readFileSync(w.log, 'utf8').matchAll(/trainCell: (\S+): input pool of \d+ thread/g)) {
        if (!cells.includes(m[1])) continue; // evaluation/attribution pools name no cell
        starts.set(m[1], (starts.get(m[1]) ?? 0) + 1);
      }
    }
    // trainCell attempts per cell, from the cell workflows' histories.
    const attempts = new Map<string, number>();
    for (const c of result.cells) {
      const [dataset, loss, mode, s] = c.cellId.split('/');
      const id = cellWorkflowId('load', { dataset, loss, mode, seed: Number(s.slice(1)) } as never);
      const h = await temporal.client.workflow.getHandle(id).fetchHistory();
      const scheduled = new Map<string, string>();
      for (const e of h.events ?? []) {
        const a = e.activityTaskScheduledEventAttributes;
        if (a) scheduled.set(String(e.eventId), a.activityType?.name ?? '');
        const st = e.activityTaskStartedEventAttributes;
        if (st && scheduled.get(String(st.scheduledEventId)) === 'trainCell') attempts.set(c.cellId, st.attempt ?? 1);
      }
    }
    const store = await ArtifactStore.open(services.endpoints.s3, 'bgbias');
    const trainStages = new Set((await store.list('load/train/')).map((k) => k.split('/')[2]));
    const records = (await store.list('load/cells/')).filter((k) => k.endsWith('.json'));
    const afterActivities = Object.fromEntries(
      workers.map((w) => {
        const rows = parseMemoryLines(fs.readFileSync(w.log, 'utf8'));
        const q = Math.max(1, Math.floor(rows.length / 4));
        const col = (i: number, part: number[][]) => median(part.map((r) => r[i]));
        const quarter = (part: number[][]) => ({
          rss: col(0, part),
          heap: col(1, part),
          external: col(2, part),
          tensors: col(3, part),
        });
        return [w.name, { activities: rows.length, first: quarter(rows.slice(0, q)), last: quarter(rows.slice(-q)) }];
      }),
    );
    const report = {
      date: new Date().toISOString(),
      machine: `${os.cpus()[0]?.model} x${os.availableParallelism()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      loadAfter: os.loadavg().map((l) => +l.toFixed(1)),
      cells: cells.length,
      seconds: +seconds.toFixed(1),
      records: records.length,
      trainStages: trainStages.size,
      trainingStartsPerCell: [...new Set(cells.map((c) => starts.get(c) ?? 0))],
      trainCellAttemptsPerCell: [...new Set(cells.map((c) => attempts.get(c) ?? 0))],
      trainingsPerWorker: Object.fromEntries(
        workers.map((w) => [
          w.name,
          (fs.readFileSync(w.log, 'utf8').match(/trainCell: \S+: input pool of/g) ?? []).length,
        ]),
      ),
      memoryAfterActivitiesMiB: afterActivities,
      rssMiB: Object.fromEntries(
        workers.map((w) => {
          const q = Math.max(1, Math.floor(w.rss.length / 4));
          return [
            w.name,
            {
              samples: w.rss.length,
              firstQuarter: +(median(w.rss.slice(0, q)) / 1024).toFixed(0),
              lastQuarter: +(median(w.rss.slice(-q)) / 1024).toFixed(0),
              max: +(Math.max(...w.rss) / 1024).toFixed(0),
            },
          ];
        }),
      ),
    };
    console.log(`RESULT ${JSON.stringify(report)}`);
    const ok =
      cells.length >= 40 &&
      records.length === cells.length &&
      trainStages.size === cells.length &&
      report.trainingStartsPerCell.length === 1 &&
      report.trainingStartsPerCell[0] === 1 &&
      report.trainCellAttemptsPerCell.length === 1 &&
      report.trainCellAttemptsPerCell[0] === 1;
    console.log(ok ? 'OK: every cell trained exactly once, nothing lost' : 'FAILED: see RESULT');
    if (!ok) process.exitCode = 1;
  } finally {
    if (sampler) clearInterval(sampler);
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => (w.child.exitCode === null ? new Promise((r) => w.child.once('exit', r)) : undefined)),
    );
    await temporal.close();
    await services.stop();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
