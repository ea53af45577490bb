/**
 * Which onnxruntime execution provider u2net asks for. A pure decision from facts the caller gathers
 * (the worker knows whether it has a GPU: cli/workerPlan.ts pins a process to one, or TensorFlow made
 * a GPU device), so it can be tested without a GPU; `cudaProviderInstalled` looks for the files.
 *
 * onnxruntime-node bundles only the CPU provider on linux/x64. Its CUDA provider
 * (libonnxruntime_providers_cuda.so + _shared.so, CUDA 12) is fetched from NuGet by the package's
 * install script (`ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci`), and needs CUDA 12 + cuDNN 9 on the
 * library path when the session is created. Whatever is asked for, cpu is always the fallback.
 */
import fs from 'node:fs';
import path from 'node:path';

export type U2netProvider = 'cuda' | 'cpu';

export interface ProviderFacts {
  /** This worker process has a GPU of its own (pinned to one, or TensorFlow created a GPU device). */
  gpu: boolean;
  /** CUDA_VISIBLE_DEVICES of the process (undefined: not set, every GPU visible). */
  cudaVisibleDevices?: string;
  /** onnxruntime-node's CUDA provider files are installed. */
  cudaProviderInstalled: boolean;
}

export interface ProviderChoice {
  /** Tried in order; the last is always cpu. */
  providers: U2netProvider[];
  /** Why (for the worker's log line). */
  why: string;
}

export const CUDA_INSTALL_HINT = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci installs it';

/** CUDA_VISIBLE_DEVICES values that hide every GPU ("" or -1, as CUDA reads them). */
export function hidesEveryGpu(cudaVisibleDevices: string | undefined): boolean {
  if (cudaVisibleDevices === undefined) return false;
  const first = cudaVisibleDevices.split(',')[0].trim();
  return first === '' || first === '-1';
}

export function chooseU2netProviders(f: ProviderFacts): ProviderChoice {
  if (!f.gpu) return { providers: ['cpu'], why: 'no GPU on this worker' };
  if (hidesEveryGpu(f.cudaVisibleDevices))
    return { providers: ['cpu'], why: `CUDA_VISIBLE_DEVICES=${JSON.stringify(f.cudaVisibleDevices)} hides every GPU` };
  if (!f.cudaProviderInstalled)
    return {
      providers: ['cpu'],
      why: `the worker has a GPU but onnxruntime-node's CUDA provider is not installed (${CUDA_INSTALL_HINT})`,
    };
  return { providers: ['cuda', 'cpu'], why: 'the worker has a GPU and the CUDA provider is installed' };
}

/** Whether onnxruntime-node's CUDA provider library is next to its binding (linux/x64 only). */
export function cudaProviderInstalled(): boolean {
  try {
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = path.join(pkg, 'bin', 'napi-v6', `${process.platform}/${process.arch}`);
    return fs.existsSync(path.join(dir, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}
