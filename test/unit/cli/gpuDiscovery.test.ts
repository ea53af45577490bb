import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { describeGpu, discoverGpus, NVIDIA_SMI_QUERY, parseNvidiaSmi, parseProcGpus } from '../../../cli/gpuDiscovery';

// The shape of `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader[,nounits]`.
const SMI = [
  '0, GPU-8c3f2a41-5b6e-4c1d-9e7f-0a1b2c3d4e5f, NVIDIA H200, 143771',
  '1, GPU-1d2e3f40-6a7b-4c8d-9e0f-a1b2c3d4e5f6, NVIDIA H200, 143771',
  '',
].join('\n');

test('parseNvidiaSmi reads index, UUID, name and memory; with or without units, a comma in the name', () => {
  assert.deepEqual(parseNvidiaSmi(SMI), [
    { index: 0, name: 'NVIDIA H200', uuid: 'GPU-8c3f2a41-5b6e-4c1d-9e7f-0a1b2c3d4e5f', memoryMiB: 143771 },
    { index: 1, name: 'NVIDIA H200', uuid: 'GPU-1d2e3f40-6a7b-4c8d-9e0f-a1b2c3d4e5f6', memoryMiB: 143771 },
  ]);
  assert.deepEqual(
    parseNvidiaSmi('1, GPU-b, Tesla V100-SXM2-16GB, 16384 MiB\n0, GPU-a, Quadro RTX 8000, Rev, 2, 46080 MiB\n'),
    [
      { index: 0, name: 'Quadro RTX 8000, Rev, 2', uuid: 'GPU-a', memoryMiB: 46080 },
      { index: 1, name: 'Tesla V100-SXM2-16GB', uuid: 'GPU-b', memoryMiB: 16384 },
    ],
  );
  assert.deepEqual(parseNvidiaSmi('0, [N/A], NVIDIA A10, [N/A]'), [
    { index: 0, name: 'NVIDIA A10', uuid: undefined, memoryMiB: undefined },
  ]);
  assert.throws(
    () => parseNvidiaSmi('No devices were found'),
    /expected "index, uuid, name, memory", got "No devices were found"/,
  );
  assert.throws(() => parseNvidiaSmi('x, GPU-a, A, 1'), /bad GPU index "x"/);
});

test('parseProcGpus numbers the driver information files in PCI bus order and reads Model and GPU UUID', () => {
  const info = (model: string, uuid: string, minor: number) =>
    `Model: \t\t ${model}\nIRQ:   \t\t 58\nGPU UUID: \t ${uuid}\nVideo BIOS: \t 96.00.74.00.01\nBus Type: \t PCIe\nDevice Minor: \t ${minor}\n`;
  assert.deepEqual(
    parseProcGpus([
      { busId: '0000:CA:00.0', text: info('NVIDIA H100 80GB HBM3', 'GPU-cc', 0) },
      { busId: '0000:1b:00.0', text: info('NVIDIA H100 80GB HBM3', 'GPU-aa', 3) },
      { busId: '0000:3a:00.0', text: 'Model: \t\t NVIDIA L4\nGPU UUID: \t [N/A]\n' },
    ]),
    [
      { index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-aa' },
      { index: 1, name: 'NVIDIA L4', uuid: undefined },
      { index: 2, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-cc' },
    ],
  );
  assert.deepEqual(parseProcGpus([{ busId: '0000:01:00.0', text: 'IRQ: 5\n' }]), [
    { index: 0, name: 'NVIDIA GPU at 0000:01:00.0', uuid: undefined },
  ]);
});

test('discoverGpus: nvidia-smi first, the driver files where it is missing, and why when there are none', () => {
  const calls: string[][] = [];
  const smi = (out: string) => (cmd: string, args: string[]) => {
    calls.push([cmd, ...args]);
    return out;
  };
  const found = discoverGpus(smi(SMI), '/nonexistent');
  assert.equal(found.source, 'nvidia-smi');
  assert.equal(found.gpus.length, 2);
  assert.deepEqual(calls[0], ['nvidia-smi', ...NVIDIA_SMI_QUERY]);

  const missing = () => {
    throw Object.assign(new Error('spawnSync nvidia-smi ENOENT'), { code: 'ENOENT' });
  };
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-procgpus-'));
  try {
    const none = discoverGpus(missing, path.join(proc, 'absent'));
    assert.deepEqual(none.gpus, []);
    assert.equal(none.source, 'none');
    assert.match(none.why!, /^nvidia-smi not found on PATH, and .*absent does not exist/);

    fs.mkdirSync(path.join(proc, '0000:41:00.0'));
    fs.writeFileSync(
      path.join(proc, '0000:41:00.0', 'information'),
      'Model: \t\t NVIDIA A100-SXM4-80GB\nGPU UUID: \t GPU-41\n',
    );
    fs.mkdirSync(path.join(proc, '0000:07:00.0'));
    fs.writeFileSync(
      path.join(proc, '0000:07:00.0', 'information'),
      'Model: \t\t NVIDIA A100-SXM4-80GB\nGPU UUID: \t GPU-07\n',
    );
    const fromProc = discoverGpus(missing, proc);
    assert.equal(fromProc.source, '/proc/driver/nvidia/gpus');
    assert.deepEqual(
      fromProc.gpus.map((g) => [g.index, g.uuid]),
      [
        [0, 'GPU-07'],
        [1, 'GPU-41'],
      ],
    );

    // nvidia-smi present but failing (driver not loaded): its message is kept.
    const failing = () => {
      throw Object.assign(new Error('Command failed: nvidia-smi'), {
        status: 9,
        stdout:
          "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n",
      });
    };
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-procgpus-empty-'));
    const broken = discoverGpus(failing, empty);
    fs.rmSync(empty, { recursive: true });
    assert.deepEqual(broken.gpus, []);
    assert.match(
      broken.why!,
      /^nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver\..*lists no GPU$/,
    );
  } finally {
    fs.rmSync(proc, { recursive: true, force: true });
  }
});

test('describeGpu', () => {
  assert.equal(describeGpu({ index: 2, name: 'NVIDIA H200', memoryMiB: 143771 }), 'GPU 2: NVIDIA H200, 143771 MiB');
  assert.equal(describeGpu({ index: 0, name: 'NVIDIA L4' }), 'GPU 0: NVIDIA L4');
});
