import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellSeconds, CostEstimateSchema, estimateCost, formatCostEstimate } from '../../../lib/report/costEstimate';

const units = {
  stepSeconds: 0.5,
  valSecondsPerImage: 0.01,
  testSecondsPerImagePass: 0.02,
  attributionSecondsPerImage: 2,
};
const cub = { dataset: 'cub200', val: 1000, test: 500, maskImages: 3000, maskSecondsPerImage: 0.1, cells: 10 };
const plan = {
  iterationsPerEpoch: 100,
  patience: 15,
  maxEpochs: 1000,
  typicalEpochs: 80,
  validateBeforeTraining: true,
  swappedRepetitions: 5,
};

test('cell seconds by hand: epochs x (steps + validation) + validation before + test passes + attribution', () => {
  // validation 0.01 x 1000 = 10 s; epoch 0.5 x 100 + 10 = 60 s; test 0.02 x 500 x (1 + 5) = 60 s;
  // attribution 2 x 500 = 1000 s (every test image). 16 epochs: 960 + 10 + 60 + 1000 = 2030 s.
  assert.equal(cellSeconds(units, cub, plan, 16), 2030);
  assert.equal(cellSeconds(units, cub, plan, 80), 5870);
  // Without validation before training and with 100 attributed images: 960 + 60 + 200.
  assert.equal(cellSeconds(units, cub, { ...plan, validateBeforeTraining: false, attributionImages: 100 }, 16), 1220);
});

test('estimate: minimum and typical epochs, hours per cell, masks and the grid', () => {
  const e = estimateCost('gpu', units, [cub], plan, 'assumed');
  assert.deepEqual(e.epochs, { minimum: 16, typical: 80, why: 'assumed' });
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(e.datasets[0].cellHours.minimum, 2030 / 3600);
  close(e.datasets[0].cellHours.typical, 5870 / 3600);
  close(e.datasets[0].maskHours!, 300 / 3600); // 0.1 s x 3000 masks
  // grid: 10 cells x 2030 s + 300 s of masks = 20600 s; typical 10 x 5870 + 300 = 59000 s.
  close(e.grid.hours.minimum, 20600 / 3600);
  close(e.grid.hours.typical, 59000 / 3600);
  assert.equal(e.grid.cells, 10);
  CostEstimateSchema.parse(e);
  const text = formatCostEstimate(e).join('\n');
  assert.match(text, /cub200: 0\.56 h per cell at 16 epochs, 1\.63 h at 80; 10 cells; masks 0\.08 h/);
  assert.match(text, /grid \(10 cells \+ masks\): 5\.72 h at 16 epochs, 16\.4 h at 80 epochs/);
  assert.match(text, /typical 80 \(assumed\)/);
});

test('estimate: maxEpochs caps both counts; unmeasured masks and attribution count as absent', () => {
  const e = estimateCost(
    'cpu',
    { ...units, attributionSecondsPerImage: undefined },
    [{ ...cub, maskSecondsPerImage: undefined }],
    {
      ...plan,
      maxEpochs: 5,
    },
    'x',
  );
  assert.deepEqual([e.epochs.minimum, e.epochs.typical], [5, 5]);
  // 5 x 60 + 10 + 60 = 370 s per cell, no attribution, no masks.
  assert.ok(Math.abs(e.grid.hours.minimum - (10 * 370) / 3600) < 1e-12);
  assert.equal(e.datasets[0].maskHours, null);
  assert.match(formatCostEstimate(e).join('\n'), /masks not measured/);
});
