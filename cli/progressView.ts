import cliProgress from 'cli-progress';
import type { Progress } from '../workflows/progress';

/** One line per running cell: where it is and how it does. */
export function describeRunning(p: Progress): string {
  const running = p.cells.filter((c) => c.state === 'running');
  if (p.stage === 'prepare') {
    return `preparing ${Object.entries(p.datasets)
      .map(([d, s]) => `${d}: ${s}`)
      .join(', ')}`;
  }
  if (p.stage === 'analyze' || p.stage === 'report')
    return (
      `attribution ${p.analysis.done}/${p.analysis.total}` + (p.analysis.cached ? ` (${p.analysis.cached} cached)` : '')
    );
  return running
    .map((c) => {
      const epoch = c.epoch !== undefined ? ` epoch ${c.epoch}/${c.maxEpochs ?? '?'}` : '';
      const loss = c.trainLoss !== undefined ? ` loss ${c.trainLoss.toFixed(3)}` : '';
      const val =
        c.valClean !== undefined
          ? ` val MAP@R ${(100 * c.valClean).toFixed(1)}/${(100 * (c.valSwapped ?? NaN)).toFixed(1)}`
          : '';
      const resumed = c.resumedFromEpoch !== undefined ? ` (resumed from epoch ${c.resumedFromEpoch})` : '';
      return `${c.id}${epoch}${loss}${val}${resumed}`;
    })
    .join(' | ');
}

export function finishedCells(p: Progress): number {
  return p.cells.filter((c) => c.state === 'done' || c.state === 'cached').length;
}

/**
 * A progress bar over grid cells on a terminal; plain lines (on change only) elsewhere, so CI logs
 * and `| tee` stay readable.
 */
export class ProgressView {
  private bar?: cliProgress.SingleBar;
  private lastLine = '';

  constructor(private readonly tty = Boolean(process.stdout.isTTY)) {}

  update(p: Progress): void {
    const total = Math.max(p.cells.length, 1);
    const done = finishedCells(p);
    const detail = describeRunning(p);
    if (this.tty) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          { format: '{stage} |{bar}| {value}/{total} cells | {detail}', hideCursor: true, clearOnComplete: false },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(total, done, { stage: p.stage, detail });
      }
      this.bar.setTotal(total);
      this.bar.update(done, {
        stage: p.stage.padEnd(7),
        detail: detail.slice(0, Math.max(20, (process.stdout.columns ?? 120) - 50)),
      });
      return;
    }
    const line = `[${p.stage}] ${done}/${p.cells.length} cells${detail ? ` | ${detail}` : ''}`;
    if (line !== this.lastLine) console.log(line);
    this.lastLine = line;
  }

  /** A line that is not progress (a retry, an outage): above the bar, which the next update redraws. */
  note(line: string): void {
    this.stop();
    console.log(line);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/** One line per stage saying what ran and what came from the store ("cached"). */
export function summarise(p: Progress): string {
  const count = (states: string[]) => {
    const n = new Map<string, number>();
    for (const s of states) n.set(s, (n.get(s) ?? 0) + 1);
    return [...n].map(([s, k]) => `${k} ${s}`).join(', ') || 'none';
  };
  const analysis = p.analysis.total
    ? `${p.analysis.total - p.analysis.cached} computed, ${p.analysis.cached} cached`
    : 'none';
  const data = [...Object.entries(p.datasets), ...(p.backgrounds ? [['backgrounds', p.backgrounds]] : [])];
  return [
    `data: ${data.map(([d, s]) => `${d} ${s}`).join(', ') || 'none'}`,
    `training + test: ${count(p.cells.map((c) => c.state))}`,
    `attribution: ${analysis}`,
    `report: ${p.stages.report ?? 'pending'}`,
  ].join('\n');
}
