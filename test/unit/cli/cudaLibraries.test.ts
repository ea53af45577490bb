import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { findCudaLibDir } from '../../../cli/cudaLibraries';

test('findCudaLibDir: the setup-cuda-wheels folder of the wheel tfjs-node-gpu was built from, else none; BGBIAS_CUDA_LIB_DIR wins', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-cudalib-'));
  try {
    assert.equal(findCudaLibDir(root, {}), undefined, 'no tfjs-node-gpu');
    const deps = path.join(root, 'node_modules/@tensorflow/tfjs-node-gpu/deps');
    fs.mkdirSync(deps, { recursive: true });
    fs.writeFileSync(path.join(deps, 'FROM_WHEEL'), 'tensorflow-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl\n');
    assert.equal(findCudaLibDir(root, {}), undefined, 'wheels not set up');
    const latest = path.join(root, '.tools/cuda/tf-2.21.0-latest');
    fs.mkdirSync(path.join(latest, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(latest, '.complete'), 'layout 2: ...');
    assert.equal(findCudaLibDir(root, {}), path.join(latest, 'lib'));
    const min = path.join(root, '.tools/cuda/tf-2.21.0-min');
    fs.mkdirSync(path.join(min, 'lib'), { recursive: true });
    assert.equal(findCudaLibDir(root, {}), path.join(latest, 'lib'), 'an unfinished folder is not used');
    fs.writeFileSync(path.join(min, '.complete'), 'layout 2: ...');
    assert.equal(findCudaLibDir(root, {}), path.join(min, 'lib'), "TensorFlow's build versions first");
    // a CPU wheel's build (tensorflow-cpu) has no CUDA folder
    fs.writeFileSync(path.join(deps, 'FROM_WHEEL'), 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl\n');
    assert.equal(findCudaLibDir(root, {}), undefined);
    assert.equal(findCudaLibDir(root, { BGBIAS_CUDA_LIB_DIR: min }), min);
    assert.throws(
      () => findCudaLibDir(root, { BGBIAS_CUDA_LIB_DIR: '/nonexistent/cuda' }),
      /BGBIAS_CUDA_LIB_DIR=\/nonexistent\/cuda: no such folder/,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
