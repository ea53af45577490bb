/**
 * Where the CUDA libraries for tfjs-node-gpu are, so `bgbias worker --gpus` and `bgbias run` can put
 * them on the gpu processes' LD_LIBRARY_PATH (TensorFlow dlopen()s them; the dynamic loader reads
 * LD_LIBRARY_PATH once, at process start, so it must be set before the worker starts).
 *
 * BGBIAS_CUDA_LIB_DIR when set; else the folder scripts/setup-cuda-wheels.sh made for the TensorFlow
 * wheel the installed tfjs-node-gpu was built against (deps/FROM_WHEEL, written by
 * scripts/setup-tensorflow.sh); else none (CUDA from the system, or LD_LIBRARY_PATH set by the user).
 */
import fs from 'node:fs';
import path from 'node:path';

export function findCudaLibDir(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env.BGBIAS_CUDA_LIB_DIR;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`BGBIAS_CUDA_LIB_DIR=${fromEnv}: no such folder`);
    return path.resolve(fromEnv);
  }
  let wheel: string;
  try {
    wheel = fs.readFileSync(path.join(root, 'node_modules/@tensorflow/tfjs-node-gpu/deps/FROM_WHEEL'), 'utf8').trim();
  } catch {
    return undefined;
  }
  const version = /^tensorflow-(\d+\.\d+\.\d+)-/.exec(wheel)?.[1];
  if (!version) return undefined;
  for (const mode of ['min', 'latest']) {
    const dir = path.join(root, '.tools', 'cuda', `tf-${version}-${mode}`, 'lib');
    if (fs.existsSync(path.join(dir, '..', '.complete'))) return dir;
  }
  return undefined;
}
