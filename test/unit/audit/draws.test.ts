import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawBackground, replayBackground } from '../../../lib/audit/backgroundDraw';
import { auditStream } from '../../../lib/audit/auditStreams';
import { ClassIndex } from '../../../lib/audit/donors';
import { toEvalItem } from '../../../lib/audit/evalItems';
import { paperConvention } from '../../../lib/audit/inputConvention';
import { runProtocols } from '../../../lib/audit/runProtocols';
import { parseAuditSettings } from '../../../lib/audit/settings';
import { compositeBackground } from '../../../lib/ml/transforms/composite';
import { evalTransform, type TransformConfig } from '../../../lib/ml/transforms/pipeline';
import { evalBatch } from '../../../lib/ml/train/batches';
import { Rng } from '../../../lib/util/rng';
import { arraySource, knownBoxItems, randomBackgrounds } from '../../helpers/auditImages';
import { backgroundModel } from '../../helpers/regionModels';

// A small paper-style transform: resize the 16 px images to 20, centre crop 12.
const CFG: TransformConfig = {
  resizeShort: 20,
  crop: 12,
  scale: [0.16, 1],
  ratio: [0.75, 1.33],
  mean: [104, 117, 128],
};
const items = knownBoxItems(3, 3);
const pool = randomBackgrounds(5, 30);

test('paper convention: eval items are evalTransform pixels and masks exactly', () => {
  const conv = paperConvention(CFG);
  for (const [i, item] of items.entries()) {
    const e = toEvalItem(item, i, conv);
    const ref = evalTransform(item.image, item.mask, CFG);
    assert.deepEqual(e.image, ref.image);
    assert.deepEqual(e.mask, ref.mask);
  }
});

test("paper convention: a swapped image is evalBatch's swapped image for the same generator state", () => {
  const conv = paperConvention(CFG);
  const ref = evalBatch(items, CFG, { backgrounds: pool, rng: Rng.fromSeed('same') });
  const rng = Rng.fromSeed('same');
  const px = CFG.crop * CFG.crop * 3;
  items.forEach((item, i) => {
    const e = toEvalItem(item, i, conv);
    const bg = drawBackground(pool, conv, CFG, rng);
    assert.deepEqual(compositeBackground(e.image, e.mask, bg.image), ref.images.subarray(i * px, (i + 1) * px));
    // The record replays to the same pixels.
    assert.deepEqual(replayBackground(pool, conv, bg.draw), bg.image);
  });
});

test('audit streams: same key same numbers; every key part matters', () => {
  const key = { seed: 3, repetition: 0, split: 'test', position: 5, purpose: 'background' as const };
  const first = auditStream(key).nextUint32();
  assert.equal(auditStream(key).nextUint32(), first);
  for (const change of [
    { seed: 4 },
    { repetition: 1 },
    { split: 'val' },
    { position: 6 },
    { purpose: 'donor-same' as const },
  ]) {
    assert.notEqual(auditStream({ ...key, ...change }).nextUint32(), first, JSON.stringify(change));
  }
  assert.throws(() => auditStream({ ...key, position: -1 }), /position must be a non-negative integer/);
});

test('donors: same-class donors are other members of the class, rand donors of other classes, all uniform', () => {
  const labels = Int32Array.from([0, 0, 0, 1, 1, 2]);
  const idx = new ClassIndex(labels);
  const rng = Rng.fromSeed('donors');
  const seen = new Map<number, number>();
  for (let t = 0; t < 3000; t++) {
    const d = idx.sameClassDonor(1, rng);
    assert.ok(d === 0 || d === 2, `donor ${d}`);
    seen.set(d, (seen.get(d) ?? 0) + 1);
  }
  assert.ok(Math.abs(seen.get(0)! / 3000 - 0.5) < 0.05);
  assert.equal(idx.sameClassDonor(5, rng), 5, 'alone in its class: its own background');
  const classCount = new Map<number, number>();
  for (let t = 0; t < 3000; t++) {
    const d = idx.otherClassDonor(0, rng);
    assert.notEqual(labels[d], 0);
    classCount.set(labels[d], (classCount.get(labels[d]) ?? 0) + 1);
  }
  // Classes 1 and 2 weigh equally although class 1 has two images and class 2 one.
  assert.ok(Math.abs(classCount.get(1)! / 3000 - 0.5) < 0.05, JSON.stringify([...classCount]));
  assert.throws(() => new ClassIndex(Int32Array.from([4, 4])).otherClassDonor(0, rng), /at least two classes/);
});

test('the audit records every draw; they are reproducible, per repetition, and shared by the swapped protocols', async () => {
  const all = knownBoxItems();
  const source = arraySource(all);
  const s = parseAuditSettings({ repetitions: 2, seed: 11, bootstrap: { resamples: 10 } });
  const a = await runProtocols(source, backgroundModel(), randomBackgrounds(), s);
  const b = await runProtocols(source, backgroundModel(), randomBackgrounds(), s);
  const p = (r: typeof a, name: string) => r.protocols.find((x) => x.protocol === name)!;
  assert.deepEqual(p(a, 'swapped').repetitions, p(b, 'swapped').repetitions);
  const swapped = p(a, 'swapped').repetitions;
  assert.equal(swapped[0].queryDraws!.length, all.length);
  assert.notDeepEqual(swapped[0].queryDraws, swapped[1].queryDraws);
  // swapped-query's queries and swapped-gallery's gallery are swapped's images, draw for draw.
  assert.deepEqual(p(a, 'swapped-query').repetitions[1].queryDraws, swapped[1].queryDraws);
  assert.equal(p(a, 'swapped-query').repetitions[1].galleryDraws, null);
  assert.deepEqual(p(a, 'swapped-gallery').repetitions[1].galleryDraws, swapped[1].queryDraws);
  // Each recorded donor is the one its stream gives, of the right class.
  const labels = source.labels;
  const idx = new ClassIndex(labels);
  for (const [name, purpose] of [
    ['mixed-same', 'donor-same'],
    ['mixed-rand', 'donor-rand'],
  ] as const) {
    for (const rep of p(a, name).repetitions) {
      for (const d of rep.queryDraws!) {
        const rng = auditStream({ seed: 11, repetition: rep.repetition, split: 'test', position: d.image, purpose });
        const expected = name === 'mixed-same' ? idx.sameClassDonor(d.image, rng) : idx.otherClassDonor(d.image, rng);
        assert.equal(d.donor, expected);
        if (name === 'mixed-same') assert.ok(labels[d.donor!] === labels[d.image] && d.donor !== d.image);
        else assert.notEqual(labels[d.donor!], labels[d.image]);
      }
    }
  }
  // Undrawn protocols run once and record no draws.
  assert.equal(p(a, 'only-bg').repetitions.length, 1);
  assert.equal(p(a, 'only-bg').repetitions[0].queryDraws, null);
  // Another seed, other draws.
  const c = await runProtocols(source, backgroundModel(), randomBackgrounds(), { ...s, seed: 12 });
  assert.notDeepEqual(p(c, 'swapped').repetitions[0].queryDraws, swapped[0].queryDraws);
});
