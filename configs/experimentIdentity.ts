/**
 * What makes two runs under one experiment name "the same experiment": the settings that determine
 * results. An experiment name holding other settings is refused (cli/commands/run.ts,
 * activities/config.ts) with the differences; cells and reports carry the digest of these settings
 * (`configDigest`), so results of two configurations never mix.
 *
 * The identity survives upgrades: it is taken after the stored config is upgraded and filled with
 * today's defaults (configs/storedConfig.ts), and a setting whose value is what the upgrade would fill
 * in were it absent is left out. So a field added later and left at its default changes neither the
 * comparison nor the digest of an old experiment.
 */
import { StoredExperimentSchema } from './storedConfig';
import type { ExperimentConfig } from './schema';

/**
 * Settings that change how or where a run works, never what it computes: left out of the identity so
 * that a rerun with more parallelism, another heartbeat or a local copy of the data joins its results.
 */
export const OPERATIONAL_SETTINGS: readonly string[] = [
  'experiment', // the name itself (the same experiment copied under another name keeps its digest)
  'concurrency', // cells at a time
  'training.heartbeatSeconds', // liveness timeout only
  'data.localDataDir', // where verified files are read from
  'data.mirrors', // where verified files are downloaded from
  'storage', // the bucket: another bucket is another store
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isRecord(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaf paths (arrays are leaves) with their values, dotted. */
function leaves(value: Json, at = ''): Map<string, Json> {
  const out = new Map<string, Json>();
  if (isRecord(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) for (const [p, x] of leaves(v, at ? `${at}.${k}` : k)) out.set(p, x);
  } else if (at) out.set(at, value);
  return out;
}

const isOperational = (path: string) => OPERATIONAL_SETTINGS.some((o) => path === o || path.startsWith(`${o}.`));

function deletePath(target: Record<string, Json>, path: string): void {
  const parts = path.split('.');
  let node: Json = target;
  for (const p of parts.slice(0, -1)) {
    if (!isRecord(node)) return;
    node = node[p];
  }
  if (isRecord(node)) delete node[parts[parts.length - 1]];
}

function getPath(source: unknown, path: string): unknown {
  let node = source;
  for (const p of path.split('.')) {
    if (!isRecord(node)) return undefined;
    node = node[p];
  }
  return node;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A stored or new configuration in today's shape (upgraded, defaults filled), as JSON data; throws
 * the schema's error when it is not a valid configuration.
 */
export function currentShape(config: unknown): Record<string, Json> {
  return JSON.parse(JSON.stringify(StoredExperimentSchema.parse(config))) as Record<string, Json>;
}

/**
 * The settings that identify an experiment's results: today's shape without the operational settings
 * and without every setting whose value equals what the upgrade and defaults give when it is absent.
 * The digest of this object (sha256 of its canonical JSON) is the experiment's `configDigest`.
 */
export function identifyingSettings(config: ExperimentConfig | unknown): Record<string, Json> {
  const full = currentShape(config);
  const identity = structuredClone(full);
  for (const [path, value] of leaves(full)) {
    if (isOperational(path)) {
      deletePath(identity, path);
      continue;
    }
    const without = structuredClone(full);
    deletePath(without, path);
    const refilled = StoredExperimentSchema.safeParse(without);
    if (refilled.success && same(getPath(refilled.data, path), value)) deletePath(identity, path);
  }
  for (const o of OPERATIONAL_SETTINGS) deletePath(identity, o);
  return identity;
}

/** `path: old -> new` for every result-determining setting that differs (empty: the same experiment). */
export function settingsDifferences(stored: unknown, proposed: unknown): string[] {
  const a = leaves(currentShape(stored));
  const b = leaves(currentShape(proposed));
  const paths = [...new Set([...a.keys(), ...b.keys()])].filter((p) => !isOperational(p)).sort();
  const show = (v: Json | undefined) => (v === undefined ? '(not set)' : JSON.stringify(v));
  return paths.filter((p) => !same(a.get(p), b.get(p))).map((p) => `${p}: ${show(a.get(p))} -> ${show(b.get(p))}`);
}

/** A run under an experiment name that holds results of other settings. */
export class ExperimentConflictError extends Error {
  override readonly name = 'ExperimentConflictError';
  constructor(
    readonly experiment: string,
    readonly differences: string[],
    /** What holds the other settings: "stored results" or "the running workflow ...". */
    readonly holder: string,
    readonly replaceable: boolean,
  ) {
    super(
      `experiment ${experiment} holds ${holder} with other settings:\n` +
        differences.map((d) => `  ${d}`).join('\n') +
        `\nTo proceed: use a new name (experiment=<new-name>)` +
        (replaceable
          ? `, or rerun with --replace to start ${experiment} afresh with these settings (the old results are ` +
            `kept under ${experiment}/archive/<their config digest>/)`
          : `, or wait until it has finished (or cancel it) and rerun`) +
        '.',
    );
  }
}
