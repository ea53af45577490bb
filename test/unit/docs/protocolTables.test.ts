import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolveExperiment } from '../../../configs/resolve';
import { paperTables, PROTOCOL_DOC, renderTables, staleTables, updateDoc } from '../../../scripts/protocolTables';

const doc = readFileSync(PROTOCOL_DOC, 'utf8');

test('docs/protocol.md holds the hyperparameter tables of the paper preset (node --import tsx scripts/protocolTables.ts --write)', () => {
  const tables = paperTables();
  assert.deepEqual(staleTables(doc, tables), [], 'tables that differ from configs');
  assert.equal(updateDoc(doc, tables), doc);
  // The tables the doc must carry, each once.
  for (const name of ['losses', 'optimizer', 'sampler', 'transforms', 'training', 'attribution'])
    assert.equal(doc.split(`<!-- BEGIN GENERATED ${name} `).length, 2, name);
});

test('a number changed in configs makes the doc stale, naming the table', () => {
  const changed = (overrides: Record<string, unknown>) =>
    staleTables(doc, renderTables(resolveExperiment({ preset: 'paper', overrides })));
  assert.deepEqual(changed({ 'optimizer.lr': 2e-6 }), ['optimizer']);
  assert.deepEqual(changed({ 'training.patience': 16 }), ['training']);
  assert.deepEqual(changed({ 'sampler.iterationsPerEpoch': 101 }), ['sampler']);
  assert.deepEqual(changed({ 'attribution.copies': 24 }), ['attribution']);
  assert.deepEqual(changed({ 'transform.scale': [0.08, 1] }), ['transforms']);
  assert.deepEqual(changed({ 'lossParams.sop.triplet.margin': 0.04519248868248314 }), ['losses']);
});

test('a number changed in the doc makes it stale, naming the table', () => {
  const tables = paperTables();
  const edits: Array<[string, string, string]> = [
    ['| 0.5409405918690342 |', '| 0.5409405918690343 |', 'losses'],
    ['| `sampler.batchSize` | 32 |', '| `sampler.batchSize` | 33 |', 'sampler'],
    ['| `optimizer.momentum` | 0.9 |', '| `optimizer.momentum` | 0.95 |', 'optimizer'],
    ['| `transform.crop` | 227 |', '| `transform.crop` | 224 |', 'transforms'],
  ];
  for (const [from, to, table] of edits) {
    assert.ok(doc.includes(from), `the doc shows ${from}`);
    assert.deepEqual(staleTables(doc.replace(from, to), tables), [table], from);
  }
  assert.throws(
    () => updateDoc(doc.replace(/<!-- BEGIN GENERATED losses[\s\S]*?END GENERATED losses -->/, ''), tables),
    /no generated block for losses/,
  );
});

test('sections 1-13 in order (code comments cite them by number)', () => {
  const numbers = [...doc.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1]));
  assert.deepEqual(
    numbers,
    Array.from({ length: 13 }, (_, i) => i + 1),
  );
});
