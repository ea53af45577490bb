// Waits until a freshly started (or already running) server answers a real request.
import { isProcessAlive, sleep, tailLog } from './processRecord';

export interface WaitForReadyOptions {
  what: string; // "Temporal dev server"
  address: string;
  pid: number;
  executable: string;
  logFile: string;
  logOffset: number;
  timeoutMs: number;
  /** Resolves when ready; throws while not ready. An error with `fatal: true` stops waiting. */
  probe: () => Promise<void>;
}

export class FatalProbeError extends Error {
  readonly fatal = true;
}

export async function waitForReady(o: WaitForReadyOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let lastError: string;
  for (;;) {
    if (!isProcessAlive(o.pid, o.executable)) {
      throw new Error(`${o.what} (pid ${o.pid}) exited before it answered at ${o.address}. ${logSection(o)}`);
    }
    try {
      await o.probe();
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      if (err instanceof FatalProbeError)
        throw new Error(`${o.what} at ${o.address}: ${lastError}. ${logSection(o)}`, { cause: err });
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${o.what} (pid ${o.pid}) did not become ready at ${o.address} within ${Math.round(o.timeoutMs / 1000)} s (last error: ${lastError}). ${logSection(o)}`,
      );
    }
    await sleep(250);
  }
}

function logSection(o: WaitForReadyOptions): string {
  const tail = tailLog(o.logFile, o.logOffset, 20);
  return `Log ${o.logFile}${tail ? ` (last lines):\n${tail}` : ' is empty'}`;
}
