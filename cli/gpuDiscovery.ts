/**
 * Which NVIDIA GPUs this machine has, for the worker plan (cli/workerPlan.ts).
 *
 * First nvidia-smi (it ships with the driver): index, UUID, name and memory of each GPU. Where it is
 * missing or fails (a container with the device files but not the tools), the driver's own
 * /proc/driver/nvidia/gpus/<PCI bus id>/information files, ordered by bus id, which is the order
 * nvidia-smi numbers them in. Indices are nvidia-smi's; processes are pinned by UUID where known
 * (CUDA's own numbering may differ: it puts the fastest GPU first unless CUDA_DEVICE_ORDER=PCI_BUS_ID).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface GpuInfo {
  /** nvidia-smi's index (PCI bus order). */
  index: number;
  name: string;
  /** GPU-<uuid>, which CUDA_VISIBLE_DEVICES accepts. */
  uuid?: string;
  memoryMiB?: number;
}

export interface GpuDiscovery {
  gpus: GpuInfo[];
  source: 'nvidia-smi' | '/proc/driver/nvidia/gpus' | 'none';
  /** Why no GPU was found (what was tried), when gpus is empty. */
  why?: string;
}

export const NVIDIA_SMI_QUERY = ['--query-gpu=index,uuid,name,memory.total', '--format=csv,noheader,nounits'];
export const PROC_GPUS_DIR = '/proc/driver/nvidia/gpus';

/**
 * Parses `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader[,nounits]`:
 * one line per GPU, e.g. "0, GPU-5b2f...-e1, NVIDIA H200, 143771" (or "143771 MiB" without nounits).
 */
export function parseNvidiaSmi(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 4)
      throw new Error(`nvidia-smi: expected "index, uuid, name, memory", got ${JSON.stringify(line)}`);
    const index = Number(fields[0]);
    if (!Number.isInteger(index) || index < 0)
      throw new Error(`nvidia-smi: bad GPU index ${JSON.stringify(fields[0])} in ${JSON.stringify(line)}`);
    // A name with a comma in it spans several fields: everything between uuid and memory.
    const name = fields.slice(2, -1).join(', ');
    const memory = Number(fields[fields.length - 1].replace(/\s*MiB$/i, ''));
    gpus.push({
      index,
      name,
      uuid: fields[1].startsWith('GPU-') ? fields[1] : undefined,
      memoryMiB: Number.isFinite(memory) ? memory : undefined,
    });
  }
  return gpus.sort((a, b) => a.index - b.index);
}

/**
 * Parses the driver's information files (one per GPU, "Key:<spaces>value" lines such as
 * "Model: \t\t NVIDIA H200" and "GPU UUID: \t GPU-..."), given as {busId, text}. Indices follow the
 * PCI bus id order, as nvidia-smi's do.
 */
export function parseProcGpus(entries: Array<{ busId: string; text: string }>): GpuInfo[] {
  return [...entries]
    .sort((a, b) => a.busId.toLowerCase().localeCompare(b.busId.toLowerCase()))
    .map((e, index) => {
      const fields = new Map<string, string>();
      for (const line of e.text.split('\n')) {
        const m = /^([^:]+):\s*(.*?)\s*$/.exec(line);
        if (m) fields.set(m[1].trim(), m[2]);
      }
      const uuid = fields.get('GPU UUID');
      return {
        index,
        name: fields.get('Model') || `NVIDIA GPU at ${e.busId}`,
        uuid: uuid?.startsWith('GPU-') ? uuid : undefined,
      };
    });
}

/** Finds the GPUs (see the file comment); never throws: no GPU is an answer, with the reason. */
export function discoverGpus(
  run: (cmd: string, args: string[]) => string = (cmd, args) =>
    execFileSync(cmd, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] }),
  procDir = PROC_GPUS_DIR,
): GpuDiscovery {
  let smiWhy: string;
  try {
    const gpus = parseNvidiaSmi(run('nvidia-smi', NVIDIA_SMI_QUERY));
    if (gpus.length > 0) return { gpus, source: 'nvidia-smi' };
    smiWhy = 'nvidia-smi lists no GPU';
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    smiWhy =
      e.code === 'ENOENT'
        ? 'nvidia-smi not found on PATH'
        : `nvidia-smi failed: ${firstLine(e.stdout || e.stderr || e.message)}`;
  }
  let busIds: string[];
  try {
    busIds = fs.readdirSync(procDir);
  } catch {
    return { gpus: [], source: 'none', why: `${smiWhy}, and ${procDir} does not exist (no NVIDIA driver loaded)` };
  }
  const entries = busIds.flatMap((busId) => {
    try {
      return [{ busId, text: fs.readFileSync(path.join(procDir, busId, 'information'), 'utf8') }];
    } catch {
      return [];
    }
  });
  const gpus = parseProcGpus(entries);
  if (gpus.length > 0) return { gpus, source: '/proc/driver/nvidia/gpus' };
  return { gpus: [], source: 'none', why: `${smiWhy}, and ${procDir} lists no GPU` };
}

/** "GPU 2: NVIDIA H200, 143771 MiB" */
export function describeGpu(g: GpuInfo): string {
  return `GPU ${g.index}: ${g.name}${g.memoryMiB !== undefined ? `, ${g.memoryMiB} MiB` : ''}`;
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0].trim();
}
