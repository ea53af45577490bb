// A detached server process the CLI started: its record on disk (so a later `bgbias services down`
// or `status` finds it), liveness, stopping, and reading the end of its log.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

export const processRecordSchema = z.object({
  service: z.string(),
  pid: z.number().int().positive(),
  executable: z.string(),
  args: z.array(z.string()),
  address: z.string(),
  uiUrl: z.string().optional(),
  logFile: z.string(),
  logOffset: z.number().int().nonnegative(), // where this run's output starts in the (appended) log
  startedAt: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type ProcessRecord = z.infer<typeof processRecordSchema>;

export function readProcessRecord(file: string): ProcessRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = processRecordSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(
      `invalid process record ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; delete it if no server is running`,
    );
  return parsed.data;
}

export function writeProcessRecord(file: string, record: ProcessRecord): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function removeProcessRecord(file: string): void {
  fs.rmSync(file, { force: true });
}

/** Is pid alive and (where /proc exists) still running our executable, not a recycled pid? */
export function isProcessAlive(pid: number, executable?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // EPERM: the pid exists but belongs to someone else, so it is not our server.
    return false;
  }
  if (fs.existsSync('/proc/self/stat')) {
    // A zombie has exited already (its parent has not reaped it yet): not alive, whoever asks.
    try {
      if (/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
    } catch {
      return false; // gone between the two checks
    }
  }
  if (executable !== undefined && fs.existsSync('/proc/self/stat')) {
    try {
      // argv, not /proc/pid/exe: a wrapper script runs as its interpreter but names itself in argv.
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 3); // [env] interpreter script
      return argv.some((a) => a === executable || path.basename(a) === path.basename(executable));
    } catch {
      return false;
    }
  }
  return true;
}

/** Starts a process that outlives this one: own process group, output appended to logFile. */
export function spawnDetached(
  executable: string,
  args: string[],
  opts: { cwd: string; logFile: string; env: NodeJS.ProcessEnv },
): { pid: number; logOffset: number } {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  fs.appendFileSync(opts.logFile, `\n--- ${new Date().toISOString()} starting: ${executable} ${args.join(' ')}\n`);
  const logOffset = fs.statSync(opts.logFile).size;
  const fd = fs.openSync(opts.logFile, 'a');
  try {
    const child = spawn(executable, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${executable} (see ${opts.logFile})`);
    // Reap it if it dies while we still run, so a dead server never lingers as a zombie.
    child.on('error', () => undefined);
    child.unref();
    return { pid: child.pid, logOffset };
  } finally {
    fs.closeSync(fd);
  }
}

/** SIGTERM, then SIGKILL after graceMs. Resolves once the process is gone. */
export async function stopProcess(
  pid: number,
  executable: string,
  graceMs = 15_000,
): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isProcessAlive(pid, executable)) return 'not-running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!isProcessAlive(pid, executable)) {
      await waitUntilExited(pid);
      return 'stopped';
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  for (let i = 0; i < 50 && isProcessAlive(pid, executable); i++) await sleep(100);
  await waitUntilExited(pid);
  return 'killed';
}

/**
 * A process tearing down has an empty /proc/<pid>/cmdline (its memory is gone) while the pid still
 * exists, so the argv check above calls it gone a moment early (seen with MinIO's large heap).
 * Wait (at most 5 s) until the pid is really gone, or is taken by another process (a non-empty
 * cmdline again); never signal it again.
 */
async function waitUntilExited(pid: number): Promise<void> {
  if (!fs.existsSync('/proc/self/stat')) return;
  for (let i = 0; i < 50 && isProcessAlive(pid); i++) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') !== '') return;
    } catch {
      return;
    }
    await sleep(100);
  }
}

/** The last `lines` lines of the log written since fromOffset (this run's output only). */
export function tailLog(file: string, fromOffset = 0, lines = 20): string {
  try {
    const size = fs.statSync(file).size;
    const start = Math.max(fromOffset, size - 64 * 1024);
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.max(0, size - start));
      fs.readSync(fd, buf, 0, buf.length, start);
      const all = buf
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      return all.slice(-lines).join('\n');
    } catch {
      return '';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
