import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GpuDiscovery } from '../../../cli/gpuDiscovery';
import { parseGpuRequest, parseQueues, planWorkers, type PlanInput, type WorkerPlan } from '../../../cli/workerPlan';

const NONE: GpuDiscovery = {
  gpus: [],
  source: 'none',
  why: 'nvidia-smi not found on PATH, and /proc/driver/nvidia/gpus does not exist (no NVIDIA driver loaded)',
};
const uuid = (i: number) => `GPU-0000000${i}-1111-2222-3333-44444444444${i}`;
const FOUR: GpuDiscovery = {
  source: 'nvidia-smi',
  gpus: [0, 1, 2, 3].map((index) => ({ index, name: 'NVIDIA H200', uuid: uuid(index), memoryMiB: 143771 })),
};
const TWO: GpuDiscovery = { source: 'nvidia-smi', gpus: FOUR.gpus.slice(0, 2) };

const gpu = (o: Partial<PlanInput>) => planWorkers({ cores: 16, discovery: FOUR, gpuPackage: true, ...o });
/** name:queues:threads:slots:CUDA_VISIBLE_DEVICES per process, for compact expectations. */
const shape = (p: WorkerPlan) =>
  p.processes.map(
    (s) =>
      `${s.name}:${s.queues.join(',')}:${s.threads ?? '-'}:${s.gpuSlots ?? '-'}:${s.env.CUDA_VISIBLE_DEVICES ?? 'unset'}`,
  );

test('CPU plan (no GPU): one training process per concurrent cell, cores split between them', () => {
  const cpu = (cells: number, cores: number) => planWorkers({ cells, cores, discovery: NONE, gpuPackage: false });
  assert.deepEqual(shape(cpu(2, 2)), ['worker:cpu,gpu:1:-:unset', 'worker-2:gpu:1:-:unset']);
  assert.deepEqual(shape(cpu(2, 16)), ['worker:cpu,gpu:8:-:unset', 'worker-2:gpu:8:-:unset']);
  assert.deepEqual(shape(cpu(3, 8)), ['worker:cpu,gpu:2:-:unset', 'worker-2:gpu:2:-:unset', 'worker-3:gpu:2:-:unset']);
  // never more processes than cores, and one process keeps TensorFlow's own default
  assert.deepEqual(shape(cpu(4, 2)), ['worker:cpu,gpu:1:-:unset', 'worker-2:gpu:1:-:unset']);
  assert.deepEqual(shape(cpu(1, 2)), ['worker:cpu,gpu:-:-:unset']);
  assert.deepEqual(shape(cpu(4, 1)), ['worker:cpu,gpu:-:-:unset']);
  assert.equal(cpu(2, 2).kind, 'cpu');
  assert.deepEqual(cpu(2, 2).notes, []);
});

test('bgbias run: GPUs without tfjs-node-gpu (or the package without GPUs) keep the CPU plan and say why', () => {
  const noPackage = planWorkers({ cells: 2, cores: 2, discovery: FOUR, gpuPackage: false });
  assert.equal(noPackage.kind, 'cpu');
  assert.equal(noPackage.processes.length, 2);
  assert.match(noPackage.notes[0], /4 GPUs found but @tensorflow\/tfjs-node-gpu is not installed/);
  const noGpu = planWorkers({ cells: 2, cores: 2, discovery: NONE, gpuPackage: true });
  assert.equal(noGpu.kind, 'cpu');
  assert.match(noGpu.notes[0], /installed but no GPU was found \(nvidia-smi not found on PATH/);
});

test('bgbias run with GPUs and tfjs-node-gpu: every GPU, whatever concurrency.cells, and a note when cells leave GPUs idle', () => {
  const p = planWorkers({ cells: 2, cores: 16, discovery: FOUR, gpuPackage: true });
  assert.equal(p.kind, 'gpu');
  assert.deepEqual(shape(p), [
    'worker-cpu:cpu:3:-:',
    `worker-gpu0:gpu:3:1:${uuid(0)}`,
    `worker-gpu1:gpu:3:1:${uuid(1)}`,
    `worker-gpu2:gpu:3:1:${uuid(2)}`,
    `worker-gpu3:gpu:3:1:${uuid(3)}`,
  ]);
  assert.deepEqual(p.notes, ['concurrency.cells=2 keeps at most 2 of 4 GPU slots busy (set concurrency.cells=4)']);
  assert.deepEqual(planWorkers({ cells: 4, cores: 16, discovery: FOUR, gpuPackage: true }).notes, []);
});

test('--gpus all: one pinned gpu-queue process per GPU plus one cpu-queue process that sees no GPU', () => {
  const p = gpu({ gpus: 'all' });
  assert.deepEqual(shape(p), [
    'worker-cpu:cpu:3:-:',
    `worker-gpu0:gpu:3:1:${uuid(0)}`,
    `worker-gpu1:gpu:3:1:${uuid(1)}`,
    `worker-gpu2:gpu:3:1:${uuid(2)}`,
    `worker-gpu3:gpu:3:1:${uuid(3)}`,
  ]);
  const g2 = p.processes[3];
  assert.deepEqual(g2.gpu, FOUR.gpus[2]);
  assert.equal(g2.env.BGBIAS_GPU, 'GPU 2: NVIDIA H200, 143771 MiB');
  assert.equal(g2.env.CUDA_DEVICE_ORDER, 'PCI_BUS_ID');
  assert.equal(p.processes[0].gpu, undefined);
  assert.deepEqual(p.notes, []);
});

test('--gpus 0,2: those GPUs, in the order given; --gpu-slots applies per GPU process', () => {
  assert.deepEqual(shape(gpu({ gpus: '0,2' })), [
    'worker-cpu:cpu:5:-:',
    `worker-gpu0:gpu:5:1:${uuid(0)}`,
    `worker-gpu2:gpu:5:1:${uuid(2)}`,
  ]);
  assert.deepEqual(shape(gpu({ gpus: ' 3 , 1 ', gpuSlots: 3 })), [
    'worker-cpu:cpu:5:-:',
    `worker-gpu3:gpu:5:3:${uuid(3)}`,
    `worker-gpu1:gpu:5:3:${uuid(1)}`,
  ]);
  // --queues gpu: no cpu-queue process; every core shared by the GPU processes
  assert.deepEqual(shape(gpu({ gpus: '1', queues: ['gpu'], cores: 4 })), [`worker-gpu1:gpu:4:1:${uuid(1)}`]);
  // more processes than cores: one thread each
  assert.deepEqual(
    shape(gpu({ gpus: 'all', cores: 2 })).map((s) => s.split(':')[2]),
    ['1', '1', '1', '1', '1'],
  );
});

test('--gpus rejects duplicates, unknown indices, bad syntax and machines without GPUs, naming what was wrong', () => {
  assert.throws(() => gpu({ gpus: '0,0' }), /--gpus 0,0: GPU 0 is listed twice; .* use --gpu-slots N/);
  assert.throws(() => gpu({ gpus: '1,2,1' }), /GPU 1 is listed twice/);
  assert.throws(
    () => planWorkers({ cores: 8, discovery: TWO, gpuPackage: true, gpus: '0,3' }),
    /--gpus 0,3: no GPU 3 here; this machine has 2 GPUs \(0, 1, from nvidia-smi\)/,
  );
  assert.throws(
    () => planWorkers({ cores: 8, discovery: TWO, gpuPackage: true, gpus: '2,5' }),
    /no GPU 2, 5 here; this machine has 2 GPUs/,
  );
  for (const bad of ['', 'a', '1,,2', '-1', '0.5', 'al']) {
    assert.throws(() => gpu({ gpus: bad }), /expected all or GPU indices as nvidia-smi numbers them, like 0,2/, bad);
  }
  assert.throws(
    () => planWorkers({ cores: 8, discovery: NONE, gpuPackage: true, gpus: 'all' }),
    /--gpus all: no NVIDIA GPU found \(nvidia-smi not found on PATH, and \/proc\/driver\/nvidia\/gpus does not exist/,
  );
  assert.throws(
    () => planWorkers({ cores: 8, discovery: NONE, gpuPackage: true, gpus: '0' }),
    /--gpus 0: no NVIDIA GPU found/,
  );
  assert.throws(
    () => gpu({ gpus: 'all', gpuPackage: false }),
    /tfjs-node-gpu is not installed, so training would run on the CPU/,
  );
  assert.throws(() => gpu({ gpus: 'all', queues: ['cpu'] }), /--gpus all with --queues cpu: no gpu queue to serve/);
  assert.throws(() => gpu({ gpus: 'all', gpuSlots: 0 }), /--gpu-slots must be a positive integer, got 0/);
  assert.throws(
    () => planWorkers({ cores: 1.5, discovery: NONE, gpuPackage: false }),
    /cores must be a positive integer, got 1.5/,
  );
  assert.throws(
    () => planWorkers({ cells: 0, cores: 2, discovery: NONE, gpuPackage: false }),
    /cells must be a positive integer, got 0/,
  );
});

test('parseQueues', () => {
  assert.deepEqual(parseQueues('cpu,gpu'), ['cpu', 'gpu']);
  assert.deepEqual(parseQueues(' gpu '), ['gpu']);
  assert.throws(() => parseQueues('cpu,tpu'), /--queues: unknown queue tpu \(expected cpu or gpu\)/);
});

test('parseGpuRequest', () => {
  assert.equal(parseGpuRequest('all'), 'all');
  assert.deepEqual(parseGpuRequest('0'), [0]);
  assert.deepEqual(parseGpuRequest('7,0,3'), [7, 0, 3]);
});

test('GPUs known only by index are pinned by index with CUDA counting in PCI order; CUDA libraries go after LD_LIBRARY_PATH', () => {
  const byIndex: GpuDiscovery = {
    source: '/proc/driver/nvidia/gpus',
    gpus: [
      { index: 0, name: 'NVIDIA A100' },
      { index: 1, name: 'NVIDIA A100' },
    ],
  };
  const p = planWorkers({
    cores: 8,
    discovery: byIndex,
    gpuPackage: true,
    gpus: '1',
    cudaLibDir: '/opt/cuda-wheels/lib',
    ldLibraryPath: '/usr/local/cuda/lib64',
  });
  const g = p.processes[1];
  assert.equal(g.env.CUDA_VISIBLE_DEVICES, '1');
  assert.equal(g.env.CUDA_DEVICE_ORDER, 'PCI_BUS_ID');
  assert.equal(g.env.BGBIAS_GPU, 'GPU 1: NVIDIA A100');
  assert.equal(g.env.LD_LIBRARY_PATH, '/usr/local/cuda/lib64:/opt/cuda-wheels/lib');
  assert.equal(p.processes[0].env.LD_LIBRARY_PATH, undefined, 'the cpu-queue process needs no CUDA');
  const again = planWorkers({
    cores: 8,
    discovery: byIndex,
    gpuPackage: true,
    gpus: 'all',
    cudaLibDir: '/opt/cuda-wheels/lib',
    ldLibraryPath: '/opt/cuda-wheels/lib',
  });
  assert.equal(again.processes[1].env.LD_LIBRARY_PATH, '/opt/cuda-wheels/lib', 'not listed twice');
  assert.equal(
    planWorkers({ cores: 8, discovery: byIndex, gpuPackage: true, gpus: '0' }).processes[1].env.LD_LIBRARY_PATH,
    undefined,
  );
});
