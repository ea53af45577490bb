/**
 * Which onnxruntime execution provider u2net asks for (lib/data/masks/executionProvider.ts), decided
 * from the worker's facts, and the session's fallback to cpu when the CUDA provider does not load
 * (this machine has neither a GPU nor onnxruntime-node's CUDA provider files, so asking for cuda
 * exercises the fallback for real).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chooseU2netProviders, cudaProviderInstalled, hidesEveryGpu } from '../../../lib/data/masks/executionProvider';
import { U2netSession } from '../../../lib/data/masks/u2netSession';

const MODEL = join(__dirname, '..', '..', 'fixtures', 'data', 'u2net', 'tiny_u2net.onnx');

test('a worker with a GPU, visible, and the CUDA provider installed asks for cuda, then cpu', () => {
  for (const cudaVisibleDevices of [undefined, '0', 'GPU-5b2f0c1e-aaaa-bbbb-cccc-0123456789ab', '1,0']) {
    const c = chooseU2netProviders({ gpu: true, cudaVisibleDevices, cudaProviderInstalled: true });
    assert.deepEqual(c.providers, ['cuda', 'cpu'], String(cudaVisibleDevices));
  }
});

test('no GPU, a hidden GPU or no CUDA provider: cpu only, with the reason', () => {
  const none = chooseU2netProviders({ gpu: false, cudaProviderInstalled: true });
  assert.deepEqual(none.providers, ['cpu']);
  assert.match(none.why, /no GPU on this worker/);
  for (const hidden of ['', '-1', ' -1,0']) {
    const c = chooseU2netProviders({ gpu: true, cudaVisibleDevices: hidden, cudaProviderInstalled: true });
    assert.deepEqual(c.providers, ['cpu'], JSON.stringify(hidden));
    assert.match(c.why, /CUDA_VISIBLE_DEVICES=.* hides every GPU/);
  }
  const notInstalled = chooseU2netProviders({ gpu: true, cudaVisibleDevices: '0', cudaProviderInstalled: false });
  assert.deepEqual(notInstalled.providers, ['cpu']);
  assert.match(notInstalled.why, /CUDA provider is not installed \(ONNXRUNTIME_NODE_INSTALL=cuda12/);
});

test('hidesEveryGpu reads CUDA_VISIBLE_DEVICES as CUDA does: empty or a leading -1 hides all', () => {
  assert.equal(hidesEveryGpu(undefined), false);
  assert.equal(hidesEveryGpu('0'), false);
  assert.equal(hidesEveryGpu(''), true);
  assert.equal(hidesEveryGpu('-1'), true);
  assert.equal(hidesEveryGpu('0,-1'), false);
});

test('asking for cuda where its provider does not load gives a cpu session and one log line saying so', async () => {
  assert.equal(cudaProviderInstalled(), false, 'this test expects a machine without the CUDA provider files');
  const lines: string[] = [];
  const session = await U2netSession.load(MODEL, { providers: ['cuda', 'cpu'], log: (l) => lines.push(l) });
  try {
    assert.equal(session.provider, 'cpu');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^u2net: onnxruntime cpu execution provider, 1 thread\(s\) \(cuda failed to load: .+\)$/);
  } finally {
    await session.release();
  }
  const cpuOnly: string[] = [];
  const plain = await U2netSession.load(MODEL, { log: (l) => cpuOnly.push(l) });
  await plain.release();
  assert.deepEqual(cpuOnly, ['u2net: onnxruntime cpu execution provider, 1 thread(s)']);
});
