import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { runEvaluate, registerEvaluate, formatEvaluate } from '../../../cli/commands/evaluate';
import { writeNpy } from '../../../lib/io/npy';

const FIX = join(__dirname, '../../fixtures/ml');
// PML 1.7.3 AccuracyCalculator on the same arrays (scripts/fixtures/gen_metrics.py, case random_unit).
const golden = (
  JSON.parse(readFileSync(join(FIX, 'metrics.json'), 'utf8')) as {
    cases: Array<Record<string, number> & { name: string }>;
  }
).cases.find((c) => c.name === 'random_unit')!;
const embeddings = join(FIX, 'metrics_random_unit_embeddings.npy');
const labels = join(FIX, 'metrics_random_unit_labels.npy');

test('runEvaluate on numpy-written .npy files reproduces PML', async () => {
  const r = await runEvaluate({ embeddings, labels, blockSize: 50 });
  assert.equal(r.n, 179);
  assert.equal(r.dim, 16);
  assert.equal(r.k, golden.k);
  assert.equal(r.numQueries, golden.numQueries);
  for (const key of ['mapAtR', 'precisionAt1', 'rPrecision'] as const) {
    assert.ok(Math.abs(r[key] - golden[key]) < 1e-12, `${key} ${r[key]} vs ${golden[key]}`);
  }
  assert.match(formatEvaluate(r), new RegExp(`MAP@R\\s+${golden.mapAtR.toFixed(6)}`));
});

test('the command prints JSON with --json', async () => {
  const program = new Command().exitOverride();
  registerEvaluate(program);
  const lines: string[] = [];
  const orig = console.log;
  console.log = (s: string) => lines.push(s);
  try {
    await program.parseAsync(
      ['evaluate', '--embeddings', embeddings, '--labels', labels, '--json', '--block-size', '64'],
      { from: 'user' },
    );
  } finally {
    console.log = orig;
  }
  const out = JSON.parse(lines.join('\n'));
  assert.equal(out.n, 179);
  assert.ok(Math.abs(out.mapAtR - golden.mapAtR) < 1e-12);
});

test('bad files are refused naming the file and the mismatch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evaluate-'));
  const f = (name: string) => join(dir, name);
  await writeNpy(f('e64.npy'), { dtype: 'float64', shape: [3, 2], data: new Float64Array(6) });
  await writeNpy(f('e1d.npy'), { dtype: 'float32', shape: [6], data: new Float32Array(6) });
  await writeNpy(f('e.npy'), { dtype: 'float32', shape: [3, 2], data: Float32Array.from([0, 1, 1, 0, 1, 1]) });
  await writeNpy(f('l4.npy'), { dtype: 'int32', shape: [4], data: new Int32Array(4) });
  await writeNpy(f('lf.npy'), { dtype: 'float32', shape: [3], data: new Float32Array(3) });
  await writeNpy(f('l2d.npy'), { dtype: 'int64', shape: [3, 1], data: new BigInt64Array(3) });
  await writeNpy(f('lbig.npy'), { dtype: 'int64', shape: [3], data: BigInt64Array.from([0n, 1n, 1n << 40n]) });
  await writeNpy(f('l.npy'), { dtype: 'int64', shape: [3], data: BigInt64Array.from([5n, 5n, 6n]) });

  await assert.rejects(
    runEvaluate({ embeddings: f('e64.npy'), labels: f('l.npy') }),
    /e64\.npy: embeddings must be float32, got float64/,
  );
  await assert.rejects(
    runEvaluate({ embeddings: f('e1d.npy'), labels: f('l.npy') }),
    /e1d\.npy: embeddings must be a 2-D array N x D, got shape \(6\)/,
  );
  await assert.rejects(
    runEvaluate({ embeddings: f('e.npy'), labels: f('l4.npy') }),
    /l4\.npy: 4 labels, but .*e\.npy has 3 embeddings/,
  );
  await assert.rejects(
    runEvaluate({ embeddings: f('e.npy'), labels: f('lf.npy') }),
    /lf\.npy: labels must be integers .* got float32/,
  );
  await assert.rejects(
    runEvaluate({ embeddings: f('e.npy'), labels: f('l2d.npy') }),
    /l2d\.npy: labels must be a 1-D array/,
  );
  await assert.rejects(
    runEvaluate({ embeddings: f('e.npy'), labels: f('lbig.npy') }),
    /lbig\.npy: label 2 \(1099511627776\) does not fit/,
  );
  await assert.rejects(runEvaluate({ embeddings: f('missing.npy'), labels: f('l.npy') }), /cannot read .*missing\.npy/);
  await assert.rejects(
    runEvaluate({ embeddings: f('e.npy'), labels: f('l.npy'), blockSize: 0 }),
    /--block-size must be a positive integer/,
  );

  // And the good pair: points (0,1),(1,0) share label 5, (1,1) is alone: k = 1, two queries, each
  // finds (1,1) (distance 1) before its partner (distance sqrt 2): every metric 0.
  const r = await runEvaluate({ embeddings: f('e.npy'), labels: f('l.npy') });
  assert.deepEqual(r, { mapAtR: 0, precisionAt1: 0, rPrecision: 0, numQueries: 2, k: 1, n: 3, dim: 2 });
});
