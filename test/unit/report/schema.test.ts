import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReport, ReportSchema } from '../../../lib/report/schema';
import { sampleReport } from './sampleReport';

test('a good report parses unchanged', () => {
  assert.deepEqual(parseReport(JSON.parse(JSON.stringify(sampleReport()))), sampleReport());
});

test('bad reports are rejected naming the field', () => {
  const bad = (mutate: (r: any) => void) => {
    const r: any = JSON.parse(JSON.stringify(sampleReport()));
    mutate(r);
    return () => parseReport(r);
  };
  assert.throws(
    bad((r) => {
      r.cells[1].clean.mapAtR = 1.5;
    }),
    /report\.cells\.1\.clean\.mapAtR/,
  );
  assert.throws(
    bad((r) => {
      delete r.experiment;
    }),
    /report\.experiment/,
  );
  assert.throws(
    bad((r) => {
      r.cells[0].mode = 'augmented';
    }),
    /report\.cells\.0\.mode/,
  );
  assert.throws(
    bad((r) => {
      r.cells[0].swapped.mapAtR.reps = [];
    }),
    /report\.cells\.0\.swapped\.mapAtR\.reps/,
  );
  assert.throws(
    bad((r) => {
      for (const c of r.cells) {
        c.corrupted = c.swapped;
        delete c.swapped;
      }
    }),
    /report was written by an older bgbias \(cells\[\]\.corrupted, now cells\[\]\.swapped\)/,
  );
  assert.throws(
    bad((r) => {
      r.maskQuality[0].iou.median = 'high';
    }),
    /report\.maskQuality\.0\.iou\.median/,
  );
  assert.throws(
    bad((r) => {
      r.timings.train = -1;
    }),
    /report\.timings\.train/,
  );
  assert.throws(
    bad((r) => {
      r.cells[0].mapAtR = 0.5;
    }),
    /report\.cells\.0.*mapAtR/,
  ); // unknown key (a typo)
  assert.equal(
    ReportSchema.safeParse({
      ...sampleReport(),
      effect: {
        baseMeanDrop: 0.1,
        bgaugmentMeanDrop: 0,
        ratio: null,
        baseMeanAttention: null,
        bgaugmentMeanAttention: 0.4,
      },
    }).success,
    true,
  );
});
