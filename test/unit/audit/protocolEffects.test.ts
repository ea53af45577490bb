/**
 * Acceptance: each protocol on hand-made models whose behaviour is known, on generated images whose
 * object region is fixed (test/helpers/auditImages.ts). The background model sees only pixels outside
 * the object box, the object model only pixels inside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runProtocols, type AuditResult } from '../../../lib/audit/runProtocols';
import { parseAuditSettings } from '../../../lib/audit/settings';
import type { ProtocolName } from '../../../lib/audit/protocols';
import { arraySource, knownBoxItems, randomBackgrounds } from '../../helpers/auditImages';
import { backgroundModel, objectModel } from '../../helpers/regionModels';

const items = knownBoxItems();
const pool = randomBackgrounds();
const settings = parseAuditSettings({ repetitions: 3, seed: 7, bootstrap: { resamples: 200 }, keepEmbeddings: true });

const map = (r: AuditResult, p: ProtocolName) => r.protocols.find((x) => x.protocol === p)!.summary.mapAtR.mean;
const prot = (r: AuditResult, p: ProtocolName) => r.protocols.find((x) => x.protocol === p)!;

test('background model: large swapped drop, high only-BG, positive BG-Gap', async () => {
  const r = await runProtocols(arraySource(items), backgroundModel(), pool, settings);
  const clean = map(r, 'clean');
  assert.ok(clean > 0.95, `clean MAP@R ${clean}`);
  for (const p of ['swapped', 'swapped-query', 'swapped-gallery'] as const) {
    assert.ok(clean - map(r, p) > 0.5, `${p}: MAP@R ${map(r, p)} vs clean ${clean}`);
  }
  // only-BG keeps every pixel outside the object box (binary mask: the hole is the box), so this model
  // retrieves exactly as on clean images.
  assert.ok(map(r, 'only-bg') > 0.95, `only-bg ${map(r, 'only-bg')}`);
  assert.deepEqual(
    prot(r, 'only-bg').repetitions[0].embeddings!.query,
    prot(r, 'clean').repetitions[0].embeddings!.query,
  );
  // mixed-same: a same-class donor's background (high); mixed-rand: another class's (near chance).
  assert.ok(map(r, 'mixed-same') > 0.95, `mixed-same ${map(r, 'mixed-same')}`);
  assert.ok(r.bgGap!.summary.mapAtR > 0.5, `BG-Gap ${r.bgGap!.summary.mapAtR}`);
  assert.ok(r.bgGap!.interval.mapAtR.lower > 0.3, `BG-Gap interval ${JSON.stringify(r.bgGap!.interval.mapAtR)}`);
  // only-FG: the flat fill replaces everything this model reads: every image looks alike.
  assert.ok(map(r, 'only-fg') < 0.5, `only-fg ${map(r, 'only-fg')}`);
});

test('object model: no swapped drop, only-FG equal to clean, no BG-Gap', async () => {
  const r = await runProtocols(arraySource(items), objectModel(), pool, settings);
  const clean = prot(r, 'clean');
  assert.ok(clean.summary.mapAtR.mean > 0.95, `clean ${clean.summary.mapAtR.mean}`);
  const cleanEmb = clean.repetitions[0].embeddings!.query;
  for (const p of ['swapped', 'swapped-query', 'swapped-gallery', 'only-fg', 'mixed-same', 'mixed-rand'] as const) {
    const res = prot(r, p);
    for (const rep of res.repetitions) {
      // The object pixels are untouched (mask 1 there), so the embeddings are the clean ones exactly.
      assert.deepEqual(rep.embeddings!.query, cleanEmb, `${p} rep ${rep.repetition}`);
      assert.deepEqual(rep.metrics, clean.repetitions[0].metrics, `${p} rep ${rep.repetition}`);
    }
  }
  assert.equal(r.bgGap!.summary.mapAtR, 0);
  assert.equal(r.bgGap!.interval.mapAtR.upper, 0);
  // only-BG replaces every pixel this model reads (the box) with tiles of the image's own background;
  // in this data set backgrounds are class-specific, so it still retrieves, from background colours.
  const onlyBg = prot(r, 'only-bg').repetitions[0].embeddings!.query;
  assert.notDeepEqual(onlyBg, cleanEmb);
});

test('applyTo queries: only-FG/only-BG/mixed queries against the clean gallery', async () => {
  const q = parseAuditSettings({ ...settings, applyTo: 'queries', protocols: ['clean', 'only-bg', 'mixed-rand'] });
  const r = await runProtocols(arraySource(items), backgroundModel(), pool, q);
  const cleanEmb = prot(r, 'clean').repetitions[0].embeddings!.gallery;
  for (const p of ['only-bg', 'mixed-rand'] as const) {
    const res = prot(r, p);
    assert.deepEqual(res.sides, { query: p, gallery: 'clean', shared: false });
    for (const rep of res.repetitions) assert.deepEqual(rep.embeddings!.gallery, cleanEmb);
  }
  // Queries on another class's background against clean galleries: the background model is misled.
  assert.ok(map(r, 'mixed-rand') < 0.35, `mixed-rand ${map(r, 'mixed-rand')}`);
});
