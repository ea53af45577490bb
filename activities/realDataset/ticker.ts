/**
 * Heartbeats for long data steps. `update` records the latest progress and sends it when the last
 * heartbeat is `everyMs` old; a timer re-sends the latest details while one long call (an S3 upload
 * of a multi-GB archive, an extraction) reports nothing, so the 2-minute heartbeat timeout only
 * fires when the worker is really gone.
 */
import { heartbeat } from '../context';

export class HeartbeatTicker {
  private details: Record<string, unknown> = {};
  private last = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly everyMs = 5_000) {
    this.timer = setInterval(() => this.send(), everyMs);
    this.timer.unref();
  }

  update(details: Record<string, unknown>): void {
    this.details = details;
    if (Date.now() - this.last >= this.everyMs) this.send();
  }

  private send(): void {
    this.last = Date.now();
    heartbeat(this.details);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Runs `fn` with a ticker that is stopped whatever happens. */
export async function withTicker<T>(fn: (t: HeartbeatTicker) => Promise<T>, everyMs?: number): Promise<T> {
  const t = new HeartbeatTicker(everyMs);
  try {
    return await fn(t);
  } finally {
    t.stop();
  }
}
