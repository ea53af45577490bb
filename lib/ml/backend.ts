/**
 * Chooses the tfjs backend once per process.
 *
 * Order for 'auto': @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node (both the 'tensorflow'
 * backend: native TensorFlow through its C API), then tfjs's pure-JS 'cpu' backend. The native
 * packages are optional dependencies whose libraries come from scripts/setup-tensorflow.sh (see
 * docs/native-tensorflow.md); 'cpu' is ~1000x slower for training and is only a last resort.
 * 'wasm' is refused: tfjs-backend-wasm lacks training kernels (Conv2DBackpropFilter, ...).
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  /** tfjs backend name: 'tensorflow' or 'cpu'. */
  name: string;
  /** The npm package that provides it. */
  package: string;
  /**
   * Where tfjs runs its ops: 'gpu' only when TensorFlow created a GPU device (tfjs-node-gpu's binding
   * reports it). tfjs-node-gpu without a usable GPU (no driver, CUDA libraries not found,
   * CUDA_VISIBLE_DEVICES empty) runs on the CPU and says 'cpu' here.
   */
  device: 'gpu' | 'cpu';
  /** Intra-op threads in effect (TF_NUM_INTRAOP_THREADS, else every CPU this process may use). */
  threads: number;
  /** Native TensorFlow version for 'tensorflow', tfjs-core version for 'cpu'. */
  version: string;
}

export interface BackendOptions {
  /**
   * Intra-op threads for native TensorFlow. Sets TF_NUM_INTRAOP_THREADS, which TensorFlow reads once
   * when tfjs-node creates its context: only effective on the first initBackend of a process, and an
   * error if that variable already says something else.
   */
  threads?: number;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

let chosen: { info: BackendInfo; preference: BackendPreference } | undefined;
let pending: Promise<BackendInfo> | undefined;

/** The backend initBackend chose, or undefined before it ran. */
export function backendInfo(): BackendInfo | undefined {
  return chosen?.info;
}

/**
 * Selects and activates a backend (idempotent: later calls return the first result). The default
 * preference is env BGBIAS_BACKEND, else 'auto'. Logs one line naming the choice and why the
 * backends before it were not taken.
 */
export async function initBackend(preference?: BackendPreference, options: BackendOptions = {}): Promise<BackendInfo> {
  const pref = preference ?? parsePreference(process.env.BGBIAS_BACKEND, 'env BGBIAS_BACKEND') ?? 'auto';
  if (!BACKEND_PREFERENCES.includes(pref)) {
    throw new Error(
      `initBackend: unknown preference ${JSON.stringify(pref)}; expected one of ${BACKEND_PREFERENCES.join(', ')}`,
    );
  }
  if (chosen) return checkCompatible(chosen, pref);
  if (!pending) {
    pending = select(pref, options).then(
      (info) => {
        chosen = { info, preference: pref };
        return info;
      },
      (err) => {
        pending = undefined; // let a caller retry with another preference
        throw err;
      },
    );
  }
  await pending;
  return checkCompatible(chosen!, pref);
}

function checkCompatible(
  current: { info: BackendInfo; preference: BackendPreference },
  pref: BackendPreference,
): BackendInfo {
  const ok =
    pref === 'auto' ||
    pref === current.preference ||
    (pref === 'tensorflow' && current.info.name === 'tensorflow') ||
    (pref === 'cpu' && current.info.name === 'cpu');
  if (!ok) {
    throw new Error(
      `initBackend('${pref}'): this process already runs on '${current.info.name}' (${current.info.package}); ` +
        'the backend is chosen once per process',
    );
  }
  return current.info;
}

function parsePreference(value: string | undefined, where: string): BackendPreference | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(BACKEND_PREFERENCES as readonly string[]).includes(value)) {
    throw new Error(`${where}=${JSON.stringify(value)}: expected one of ${BACKEND_PREFERENCES.join(', ')}`);
  }
  return value as BackendPreference;
}

async function select(pref: BackendPreference, options: BackendOptions): Promise<BackendInfo> {
  if (pref === 'wasm') {
    throw new Error(
      "initBackend('wasm'): not supported: tfjs-backend-wasm lacks training kernels (Conv2DBackpropFilter, " +
        "UnsortedSegmentSum, ...); use 'tensorflow' (bash scripts/setup-tensorflow.sh) or 'cpu'",
    );
  }
  const rejected: string[] = [];
  if (pref === 'auto' || pref === 'tensorflow') {
    applyThreads(options.threads);
    // TensorFlow's C++ INFO lines (oneDNN, CPU features) are noise for us; warnings still show.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
    for (const pkg of NATIVE_PACKAGES) {
      const info = await tryNative(pkg, rejected);
      if (info) {
        log(info, rejected);
        return info;
      }
    }
    if (pref === 'tensorflow') {
      throw new Error(
        `initBackend('tensorflow'): no native TensorFlow backend could be loaded: ${rejected.join('; ')}. ` +
          'Run: bash scripts/setup-tensorflow.sh',
      );
    }
  }
  if (!(await tf.setBackend('cpu'))) throw new Error("initBackend: tfjs refused to start its 'cpu' backend");
  await tf.ready();
  const info: BackendInfo = {
    name: 'cpu',
    package: '@tensorflow/tfjs',
    device: 'cpu',
    threads: 1,
    version: tf.version_core,
  };
  log(info, rejected);
  return info;
}

async function tryNative(pkg: string, rejected: string[]): Promise<BackendInfo | undefined> {
  let native: typeof tf;
  try {
    // A package chosen at run time, and optional: only require() can load it by name, synchronously.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    native = require(pkg) as typeof tf;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const notInstalled = e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${pkg}'`);
    rejected.push(`${pkg}: ${notInstalled ? 'not installed' : firstLine(e.message)}`);
    return undefined;
  }
  // tfjs-node registers its backend with the tfjs-core it resolves; it must be ours.
  if (native.engine() !== tf.engine()) {
    rejected.push(
      `${pkg}: loaded a second copy of @tensorflow/tfjs-core (versions must match @tensorflow/tfjs ${tf.version_core})`,
    );
    return undefined;
  }
  try {
    if (!(await tf.setBackend('tensorflow'))) throw new Error("tfjs refused to start the 'tensorflow' backend");
    await tf.ready();
  } catch (err) {
    rejected.push(`${pkg}: ${firstLine((err as Error).message)}`);
    return undefined;
  }
  // tfjs-node(-gpu) places every op on the first GPU TensorFlow created, else on the CPU, and says
  // which in isUsingGpuDevice (one process uses at most one GPU: see cli/workerPlan.ts).
  const backend = tf.backend() as unknown as { binding?: { TF_Version?: string }; isUsingGpuDevice?: boolean };
  const binding = backend.binding;
  return {
    name: 'tensorflow',
    package: pkg,
    device: backend.isUsingGpuDevice === true ? 'gpu' : 'cpu',
    threads: intraOpThreads(),
    version: binding?.TF_Version ?? 'unknown',
  };
}

function applyThreads(threads: number | undefined): void {
  if (threads === undefined) return;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`initBackend: options.threads must be a positive integer, got ${threads}`);
  }
  const env = process.env.TF_NUM_INTRAOP_THREADS;
  if (env !== undefined && env !== '' && Number(env) !== threads) {
    throw new Error(`initBackend: options.threads=${threads} conflicts with env TF_NUM_INTRAOP_THREADS=${env}`);
  }
  process.env.TF_NUM_INTRAOP_THREADS = String(threads);
}

/**
 * What TensorFlow uses for intra-op parallelism: it reads TF_NUM_INTRAOP_THREADS when tfjs-node
 * creates its eager context (a positive integer; anything else is ignored), else it uses every CPU in
 * the process's affinity mask, which is what os.availableParallelism() reports.
 */
function intraOpThreads(): number {
  const env = Number(process.env.TF_NUM_INTRAOP_THREADS);
  return Number.isInteger(env) && env > 0 ? env : os.availableParallelism();
}

function log(info: BackendInfo, rejected: string[]): void {
  const why = rejected.length > 0 ? `; not taken: ${rejected.join('; ')}` : '';
  process.stderr.write(
    `[backend] ${info.name} (${info.package}, ${info.device}, ${info.threads} ` +
      `thread${info.threads === 1 ? '' : 's'}, ` +
      `${info.name === 'tensorflow' ? 'TensorFlow' : 'tfjs-core'} ${info.version})${why}\n`,
  );
}

function firstLine(msg: string): string {
  return msg.split('\n')[0].trim();
}
