import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { lostInternalPortRace } from '../../../services/temporalServer';

// The lines a CI run's dev server wrote when another process took its history port in between.
const RACE_LOG = [
  'time=2026-11-27T10:59:22.433 level=ERROR msg="Failed to start gRPC listener" error="listen tcp 127.0.0.1:45389: bind: address already in use" service=history address=127.0.0.1:45389',
  'panic: runtime error: invalid memory address or nil pointer dereference',
].join('\n');

test('lostInternalPortRace: recognises the port race in the log written since the start, nothing else', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-race-'));
  const log = path.join(dir, 'server.log');
  try {
    fs.writeFileSync(log, 'an earlier start\n');
    const offset = fs.statSync(log).size;
    fs.appendFileSync(log, `${RACE_LOG}\n`);
    assert.equal(lostInternalPortRace(log, offset), true);
    // the same lines from an earlier start (before the offset) do not count
    assert.equal(lostInternalPortRace(log, fs.statSync(log).size), false);
    // another failure is not a race
    fs.writeFileSync(log, 'level=ERROR msg="Unable to open database" error="permission denied"\n');
    assert.equal(lostInternalPortRace(log, 0), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
