// One `services up/down` at a time per state folder: two commands starting the same servers at
// once would both pass the free-port check and overwrite each other's pid records.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isProcessAlive, sleep } from './processRecord';

// Calls within this process queue here first, so a lock file naming our own pid is always stale.
const inProcess = new Map<string, Promise<unknown>>();

export async function withStateLock<T>(stateDir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const key = path.resolve(stateDir);
  const previous = inProcess.get(key) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => withFileLock(key, timeoutMs, fn));
  inProcess.set(key, mine);
  try {
    return await mine;
  } finally {
    if (inProcess.get(key) === mine) inProcess.delete(key);
  }
}

async function withFileLock<T>(stateDir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(stateDir, { recursive: true });
  const lockFile = path.join(stateDir, 'services.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(fs.readFileSync(lockFile, 'utf8').trim(), 10);
      // A lock left by a process that died (or with our own pid: see above) is stale: take it over.
      if (!Number.isFinite(holder) || holder === process.pid || !isProcessAlive(holder)) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(
          `${lockFile} is held by process ${holder} (another \`bgbias services\` command) for more than ${Math.round(timeoutMs / 1000)} s`,
          { cause: err },
        );
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}
