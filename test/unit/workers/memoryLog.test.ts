/**
 * workers/memoryLog.ts: the line a worker logs after each activity is the line the load bench parses
 * back (one format, two ends), and the wrapper logs after an activity whether it returns or throws,
 * leaving its result and its error as they are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { memoryLine, parseMemoryLines, withMemoryLog } from '../../../workers/memoryLog';

test('a memory line parses back to its four numbers', () => {
  const kept = tf.tensor1d([1, 2, 3]);
  try {
    const rows = parseMemoryLines(`2026-12-01T00:00:00Z ${memoryLine('trainCell')}\nother output\n${memoryLine('x')}`);
    assert.equal(rows.length, 2);
    const [rss, heap, external, tensors] = rows[0];
    assert.ok(rss > 0 && heap > 0 && external >= 0, JSON.stringify(rows[0]));
    assert.equal(tensors, tf.memory().numTensors);
  } finally {
    kept.dispose();
  }
});

test('the wrapper logs after each activity, keeping results and errors', async () => {
  const lines: string[] = [];
  const acts = withMemoryLog(
    {
      ok: async (x: number) => x + 1,
      fails: async () => {
        throw new Error('boom');
      },
    },
    (l) => lines.push(l),
  );
  assert.equal(await acts.ok(1), 2);
  await assert.rejects(acts.fails(), /boom/);
  assert.deepEqual(
    lines.map((l) => l.split(':')[0]),
    ['memory after ok', 'memory after fails'],
  );
  assert.equal(acts.fails.name, 'fails');
});
