// Finds the server binaries: an explicit environment variable, then the project's .tools/bin
// (installed by scripts/setup-tools.sh), then PATH.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from './stateDir';

export type ToolName = 'temporal' | 'minio';

const ENV_VAR: Record<ToolName, string> = { temporal: 'TEMPORAL_CLI', minio: 'MINIO_BIN' };
const WHAT: Record<ToolName, string> = {
  temporal: 'Temporal CLI (dev server)',
  minio: 'MinIO (S3 server)',
};
export const SETUP_COMMAND = 'bash scripts/setup-tools.sh';

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of the binary; throws an error naming every place it looked and how to install. */
export function findTool(
  name: ToolName,
  env: NodeJS.ProcessEnv = process.env,
  localBinDir = path.join(projectRoot(), '.tools', 'bin'),
): string {
  const envVar = ENV_VAR[name];
  const fromEnv = env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    const resolved = path.resolve(fromEnv);
    // An explicit choice that is wrong is an error, never silently replaced by another binary.
    if (!isExecutableFile(resolved)) throw new Error(`${envVar}=${fromEnv}: no executable file there (${WHAT[name]})`);
    return resolved;
  }
  const looked: string[] = [`$${envVar} (unset)`];
  const local = path.join(localBinDir, name);
  if (isExecutableFile(local)) return local;
  looked.push(local);
  const pathDirs = (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  for (const dir of pathDirs) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return path.resolve(candidate);
  }
  looked.push(`PATH (${pathDirs.length} folders)`);
  throw new Error(
    `${WHAT[name]} binary "${name}" not found; looked at: ${looked.join(', ')}. ` +
      `Install it with \`${SETUP_COMMAND}\` or set ${envVar} to its path.`,
  );
}
