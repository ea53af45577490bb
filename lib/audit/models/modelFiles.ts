/**
 * The files that make up a model under audit, and their digest: a tfjs model is its model.json plus
 * every weight file its weightsManifest names (paths relative to model.json); an ONNX model is its one
 * file. The digest covers the bytes of every file and their names, so an audit's cache key changes
 * when any weight changes and never when only the folder moves.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface ModelFile {
  /** Relative to the model's entry file's folder (the entry file itself is its base name). */
  name: string;
  path: string;
  sha256: string;
  bytes: number;
}

export interface ModelFiles {
  /** The file a loader opens (model.json or the .onnx file), by name. */
  entry: string;
  files: ModelFile[];
  /** sha256 over the sorted (name, sha256) pairs. */
  sha256: string;
}

async function describe(dir: string, name: string, role: string): Promise<ModelFile> {
  const file = path.join(dir, name);
  let bytes: Buffer;
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a regular file');
    bytes = await readFile(file);
  } catch (err) {
    throw new Error(`${role} ${file}: cannot read it (${(err as Error).message})`, { cause: err });
  }
  return { name, path: file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
}

/** Weight file names from a tfjs model.json (checked to stay inside the model's folder). */
export function tfjsWeightFiles(modelJson: unknown, source: string): string[] {
  const manifest = (modelJson as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) throw new Error(`${source}: no "weightsManifest" array: not a tfjs model.json`);
  const names: string[] = [];
  manifest.forEach((group, g) => {
    const paths = (group as { paths?: unknown }).paths;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p.length > 0)) {
      throw new Error(`${source}: weightsManifest[${g}].paths: expected a list of file names`);
    }
    for (const p of paths as string[]) {
      const normal = path.posix.normalize(p.replace(/\\/g, '/'));
      if (normal.startsWith('../') || path.posix.isAbsolute(normal) || normal.includes('/../')) {
        throw new Error(`${source}: weightsManifest[${g}].paths: ${p} leaves the model's folder`);
      }
      names.push(normal);
    }
  });
  return [...new Set(names)];
}

export async function modelFiles(kind: 'tfjs' | 'onnx', entryPath: string): Promise<ModelFiles> {
  const dir = path.dirname(path.resolve(entryPath));
  const entry = path.basename(entryPath);
  const files: ModelFile[] = [await describe(dir, entry, kind === 'tfjs' ? 'tfjs model.json' : 'ONNX model')];
  if (kind === 'tfjs') {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(files[0].path, 'utf8'));
    } catch (err) {
      throw new Error(`${files[0].path}: not valid JSON (${(err as Error).message})`, { cause: err });
    }
    for (const name of tfjsWeightFiles(json, files[0].path)) files.push(await describe(dir, name, 'tfjs weight file'));
  }
  return { entry, files, sha256: filesDigest(files) };
}

export function filesDigest(files: readonly Pick<ModelFile, 'name' | 'sha256'>[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    h.update(`${f.name}\0${f.sha256}\n`);
  return h.digest('hex');
}
