// Where the embedded services keep their state (databases, object data, logs, pid records).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root: the nearest folder above this file whose package.json names "bgbias". */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'bgbias') return dir;
      } catch {
        // an unreadable package.json is not ours; keep looking upwards
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`projectRoot: no package.json named "bgbias" above ${__dirname}`);
    dir = parent;
  }
}

/** BGBIAS_STATE_DIR (relative paths are taken from the current directory), else <repo>/.bgbias. */
export function resolveStateDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit ?? env.BGBIAS_STATE_DIR;
  if (chosen !== undefined && chosen.trim() === '') throw new Error('BGBIAS_STATE_DIR is set but empty');
  return path.resolve(chosen ?? path.join(projectRoot(), '.bgbias'));
}
