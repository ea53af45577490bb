import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  generateS3KeyPair,
  loadOrCreateS3Credentials,
  readS3Credentials,
  s3CredentialsFile,
} from '../../../services/s3Credentials';

function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-creds-'));
}

test('a key pair is generated once per state folder, mode 0600, and read back unchanged', () => {
  const stateDir = scratch();
  try {
    assert.equal(readS3Credentials(stateDir), undefined);
    const first = loadOrCreateS3Credentials(stateDir);
    const file = s3CredentialsFile(stateDir);
    assert.equal(file, path.join(stateDir, 's3', 'credentials.json'));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.deepEqual(loadOrCreateS3Credentials(stateDir), first, 'a second call reads the same pair');
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), first);
    // no temporary files left beside it
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['credentials.json']);

    const other = scratch();
    try {
      const second = loadOrCreateS3Credentials(other);
      assert.notEqual(second.secretKey, first.secretKey, 'each state folder has its own secret');
      assert.notEqual(second.accessKey, first.accessKey);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});

test('generated pairs fit MinIO (access key 3-20, secret 8-40 characters) and carry 240 random bits', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const { accessKey, secretKey } = generateS3KeyPair();
    assert.match(accessKey, /^bgbias-[0-9a-f]{12}$/);
    assert.match(secretKey, /^[A-Za-z0-9_-]{40}$/); // 30 bytes in base64url
    seen.add(secretKey);
  }
  assert.equal(seen.size, 200);
});

test('a credentials file others can read is refused, naming the file, its mode and the fix', () => {
  const stateDir = scratch();
  try {
    loadOrCreateS3Credentials(stateDir);
    const file = s3CredentialsFile(stateDir);
    fs.chmodSync(file, 0o644);
    assert.throws(
      () => loadOrCreateS3Credentials(stateDir),
      (e: Error) =>
        e.message.includes(file) && /mode 0644, expected 0600/.test(e.message) && /chmod 600/.test(e.message),
    );
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});

test('an invalid credentials file names the file and the field, never the secret', () => {
  const stateDir = scratch();
  try {
    const file = s3CredentialsFile(stateDir);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ accessKey: 'k', secretKey: 'the-secret-value' }), { mode: 0o600 });
    assert.throws(
      () => readS3Credentials(stateDir),
      (e: Error) => e.message.includes(file) && /accessKey/.test(e.message) && !e.message.includes('the-secret-value'),
    );
    // JSON.parse quotes the text around the error, and the text is the secret: it must not show.
    fs.writeFileSync(file, '{"accessKey":"bgbias-1","secretKey":leaky-secret-value}', { mode: 0o600 });
    assert.throws(
      () => readS3Credentials(stateDir),
      (e: Error) =>
        /cannot read the embedded S3 credentials .*credentials\.json: not valid JSON/.test(e.message) &&
        !/leaky-secr/.test(e.message) &&
        e.cause === undefined,
    );
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});

test('the file is 0600 whatever the umask', () => {
  const stateDir = scratch();
  const old = process.umask(0);
  try {
    loadOrCreateS3Credentials(stateDir);
    assert.equal(fs.statSync(s3CredentialsFile(stateDir)).mode & 0o777, 0o600);
  } finally {
    process.umask(old);
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
});
