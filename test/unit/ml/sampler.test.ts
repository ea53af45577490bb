import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPermanentError } from '../../../contracts/errors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MPerClassSampler } from '../../../lib/ml/sampler';
import { Rng } from '../../../lib/util/rng';

interface Stats {
  m: number;
  batchSize: number;
  lengthBeforeNewIter: number;
  epochs: number;
  length: number;
  batches: number;
  classes: number[];
  classSizes: number[];
  classBatchFrequency: number[];
  duplicateRate: number[];
  imageShare: number[];
}
interface Fixture {
  labels: number[];
  lengths: Array<{
    numClasses: number;
    m: number;
    batchSize: number;
    lengthBeforeNewIter: number;
    ok?: number;
    error?: string;
  }>;
  statistics: Stats[];
}
const fx = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'ml', 'sampler.json'), 'utf8')) as Fixture;

test('epoch length and rejected settings match PML', () => {
  for (const c of fx.lengths) {
    const labels = Array.from({ length: c.numClasses * 5 }, (_, i) => Math.floor(i / 5));
    const make = () => new MPerClassSampler(labels, { ...c, rng: Rng.fromSeed(1) });
    const what = JSON.stringify(c);
    if (c.ok !== undefined) {
      const s = make();
      assert.equal(s.length, c.ok, what);
      assert.equal(s.epochIndices().length, c.ok, what);
    } else {
      assert.throws(make, /MPerClassSampler: /, what);
    }
  }
  const labels = [0, 0, 1, 1, 2, 2];
  const rng = Rng.fromSeed(1);
  assert.throws(
    () => new MPerClassSampler(labels, { m: 4, batchSize: 30, lengthBeforeNewIter: 100, rng }),
    /batchSize 30 is not a multiple of m 4/,
  );
  assert.throws(
    () => new MPerClassSampler(labels, { m: 2, batchSize: 8, lengthBeforeNewIter: 100, rng }),
    /3 classes x m 2 = 6 images, fewer than batchSize 8 \(need at least 4 classes\)/,
  );
  // A split with too few classes never works on a retry: a permanent error, so the activity fails at once.
  assert.throws(
    () => new MPerClassSampler(labels, { m: 1, batchSize: 16, lengthBeforeNewIter: 100, rng }),
    (e: unknown) => isPermanentError(e),
  );
  assert.throws(
    () => new MPerClassSampler(labels, { m: 2, batchSize: 4, lengthBeforeNewIter: 3, rng }),
    /lengthBeforeNewIter 3 is smaller than batchSize 4/,
  );
  assert.throws(
    () => new MPerClassSampler([0, 1.5], { m: 1, batchSize: 1, lengthBeforeNewIter: 3, rng }),
    /label at index 1 is 1.5/,
  );
  assert.throws(
    () => new MPerClassSampler(labels, { m: 0, batchSize: 4, lengthBeforeNewIter: 8, rng }),
    /m must be a positive integer/,
  );
});

for (const ref of fx.statistics) {
  test(`batches keep PML's invariants and draw frequencies (m=${ref.m}, batch ${ref.batchSize}, ${ref.epochs} epochs)`, () => {
    const labels = fx.labels;
    const sampler = new MPerClassSampler(labels, {
      m: ref.m,
      batchSize: ref.batchSize,
      lengthBeforeNewIter: ref.lengthBeforeNewIter,
      rng: Rng.fromSeed('sampler-stats'),
    });
    assert.deepEqual([...sampler.classes], ref.classes);
    assert.equal(sampler.length, ref.length);
    const classPos = new Map(ref.classes.map((c, i) => [c, i]));
    const classBatches = new Array(ref.classes.length).fill(0);
    const draws = new Array(ref.classes.length).fill(0);
    const duplicates = new Array(ref.classes.length).fill(0);
    const imageCounts = new Array(labels.length).fill(0);
    let nBatches = 0;
    for (let e = 0; e < ref.epochs; e++) {
      const batches = sampler.batches();
      assert.equal(batches.length, ref.length / ref.batchSize);
      for (const batch of batches) {
        nBatches++;
        assert.equal(batch.length, ref.batchSize);
        const seen = new Set<number>();
        for (let k = 0; k < batch.length; k += ref.m) {
          const block = batch.slice(k, k + ref.m);
          const c = labels[block[0]];
          assert.ok(
            block.every((i) => labels[i] === c),
            'a block of m mixes classes',
          );
          assert.ok(!seen.has(c), `class ${c} twice in one batch`);
          seen.add(c);
          const pos = classPos.get(c)!;
          classBatches[pos]++;
          draws[pos]++;
          const hasDuplicate = new Set(block).size < ref.m;
          if (ref.classSizes[pos] >= ref.m)
            assert.ok(!hasDuplicate, `duplicate image in class ${c} of size ${ref.classSizes[pos]}`);
          if (hasDuplicate) duplicates[pos]++;
          for (const i of block) imageCounts[i]++;
        }
        assert.equal(seen.size, ref.batchSize / ref.m);
      }
    }
    assert.equal(nBatches, ref.batches);
    // Frequencies: ours and PML's both estimate the same probabilities from the same number of
    // batches; allow 5 standard deviations of the difference of two binomial estimates.
    const p = ref.batchSize / ref.m / ref.classes.length;
    const tolClass = 5 * Math.sqrt((2 * p * (1 - p)) / nBatches);
    ref.classes.forEach((c, i) => {
      const ours = classBatches[i] / nBatches;
      assert.ok(
        Math.abs(ours - ref.classBatchFrequency[i]) < tolClass,
        `class ${c}: ours ${ours}, PML ${ref.classBatchFrequency[i]}`,
      );
      assert.ok(Math.abs(ours - p) < tolClass, `class ${c}: ours ${ours}, expected ${p}`);
      assert.equal(duplicates[i] / draws[i], ref.duplicateRate[i], `class ${c} duplicate rate`);
    });
    labels.forEach((label, i) => {
      const pos = classPos.get(label)!;
      const n = ref.classSizes[pos];
      const share = imageCounts[i] / (draws[pos] * ref.m);
      const tol = 5 * Math.sqrt((2 * (1 / n) * (1 - 1 / n)) / (draws[pos] * ref.m)) + 1e-9;
      assert.ok(
        Math.abs(share - ref.imageShare[i]) < tol,
        `image ${i} (class ${label}, ${n} images): ours ${share}, PML ${ref.imageShare[i]}`,
      );
    });
  });
}

test('state() / fromState() continue the same stream; seeds give reproducible, distinct epochs', () => {
  const labels = fx.labels;
  const opts = { m: 4, batchSize: 32, lengthBeforeNewIter: 320 };
  const a = new MPerClassSampler(labels, { ...opts, rng: Rng.fromSeed(42) });
  const b = new MPerClassSampler(labels, { ...opts, rng: Rng.fromSeed(42) });
  const first = a.epochIndices();
  assert.deepEqual(b.epochIndices(), first);
  const saved = a.state();
  const second = a.epochIndices();
  assert.notDeepEqual(second, first);
  const resumed = MPerClassSampler.fromState(labels, opts, saved);
  assert.deepEqual(resumed.epochIndices(), second);
  assert.notDeepEqual(new MPerClassSampler(labels, { ...opts, rng: Rng.fromSeed(43) }).epochIndices(), first);
  // The sampler keeps its own copy of the generator: drawing from the caller's rng does not shift it.
  const shared = Rng.fromSeed(42);
  const c = new MPerClassSampler(labels, { ...opts, rng: shared });
  shared.uniform();
  assert.deepEqual(c.epochIndices(), first);
});
