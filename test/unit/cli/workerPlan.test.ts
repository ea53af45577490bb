import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planLocalWorkers } from '../../../cli/workerPlan';

test('planLocalWorkers: one training process per concurrent cell on CPU, cores split between them', () => {
  assert.deepEqual(planLocalWorkers({ cells: 2, cores: 2, gpu: false }), { processes: 2, threads: 1 });
  assert.deepEqual(planLocalWorkers({ cells: 2, cores: 16, gpu: false }), { processes: 2, threads: 8 });
  assert.deepEqual(planLocalWorkers({ cells: 3, cores: 8, gpu: false }), { processes: 3, threads: 2 });
  // never more processes than cores, and one process keeps TensorFlow's own default
  assert.deepEqual(planLocalWorkers({ cells: 4, cores: 2, gpu: false }), { processes: 2, threads: 1 });
  assert.deepEqual(planLocalWorkers({ cells: 1, cores: 2, gpu: false }), { processes: 1 });
  assert.deepEqual(planLocalWorkers({ cells: 4, cores: 1, gpu: false }), { processes: 1 });
  // a GPU is owned by one process whatever the concurrency
  assert.deepEqual(planLocalWorkers({ cells: 4, cores: 16, gpu: true }), { processes: 1 });
});

test('planLocalWorkers rejects nonsense counts, naming them', () => {
  assert.throws(() => planLocalWorkers({ cells: 0, cores: 2, gpu: false }), /cells must be a positive integer, got 0/);
  assert.throws(
    () => planLocalWorkers({ cells: 2, cores: 1.5, gpu: false }),
    /cores must be a positive integer, got 1.5/,
  );
});
