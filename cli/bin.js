#!/usr/bin/env node
// Package bin: runs the TypeScript CLI through tsx (no build step).
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'main.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status === null ? 1 : r.status);
