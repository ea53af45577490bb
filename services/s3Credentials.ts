// The embedded S3 server's key pair: generated once per state folder (crypto random), kept in
// <state>/s3/credentials.json with mode 0600, read by every CLI and worker process started against
// that folder. The secret is never logged or printed; only the access key may be shown.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { serviceDir } from './managedServer';

export interface S3KeyPair {
  accessKey: string;
  secretKey: string;
}

// MinIO's limits: access key 3-20 characters, secret key 8-40.
const credentialsSchema = z.object({
  accessKey: z.string().min(3).max(20),
  secretKey: z.string().min(8).max(40),
});

export function s3CredentialsFile(stateDir: string): string {
  return path.join(serviceDir(stateDir, 's3'), 'credentials.json');
}

/** A fresh key pair: 48 random bits in the access key (a name), 240 in the secret. */
export function generateS3KeyPair(): S3KeyPair {
  return { accessKey: `bgbias-${randomBytes(6).toString('hex')}`, secretKey: randomBytes(30).toString('base64url') };
}

/** The state folder's key pair, or undefined when none was generated yet. */
export function readS3Credentials(stateDir: string): S3KeyPair | undefined {
  const file = s3CredentialsFile(stateDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the embedded S3 credentials ${file}: ${(err as Error).message}`, { cause: err });
  }
  // Like ssh with a private key: a secret others could read may have been read; do not use it.
  if ((stat.mode & 0o077) !== 0) {
    throw new Error(
      `${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, expected 0600): ` +
        `run \`chmod 600 ${file}\`, or stop the services (bgbias services down) and delete it to generate a new secret`,
    );
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the embedded S3 credentials ${file}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the parser's message, nor the error itself: it quotes the text, and the text is the secret.
    throw new Error(
      `cannot read the embedded S3 credentials ${file}: not valid JSON; stop the services (bgbias services down) and delete it to generate a new pair`,
    );
  }
  const parsed = credentialsSchema.safeParse(json);
  if (!parsed.success) {
    // Name the fields, never their values (one of them is the secret).
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(
      `invalid embedded S3 credentials ${file} (${fields}); stop the services (bgbias services down) and delete it to generate a new pair`,
    );
  }
  return parsed.data;
}

/**
 * The state folder's key pair, generated on first use. The file is created complete and 0600 from
 * the start (written under a temporary name, then linked into place), so no process ever reads a
 * half-written or world-readable secret, and of two processes creating it at once one pair wins.
 */
export function loadOrCreateS3Credentials(stateDir: string): S3KeyPair {
  const existing = readS3Credentials(stateDir);
  if (existing) return existing;
  const file = s3CredentialsFile(stateDir);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600); // whatever the umask
    fs.writeFileSync(fd, JSON.stringify(generateS3KeyPair(), null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // another process created it first: use theirs
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return readS3Credentials(stateDir)!;
}
