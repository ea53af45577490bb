import { z } from 'zod';
import { ValidationError } from '../contracts/errors';
import { ExperimentSchema, type ExperimentConfig } from './schema';
import { PRESETS, type PresetName } from './presets';
import { rehearsalConfig } from './rehearsal';
import { folderLossDefaults } from './folderDatasets';

/** What a user hands the workflow (`temporal workflow start --input`) or the CLI builds. */
export const ExperimentInputSchema = z.strictObject({
  preset: z.enum(Object.keys(PRESETS) as [PresetName, ...PresetName[]]).default('smoke'),
  /** `{"training.maxEpochs": 5, "losses": ["arcface"]}`: dotted paths into the preset. */
  overrides: z.record(z.string(), z.unknown()).default({}),
  /** Run a rehearsal of the configuration (configs/rehearsal.ts): overrides describe the full run,
   * except `rehearsal.*` ones, which adjust the rehearsal itself (e.g. rehearsal.typicalEpochs). */
  rehearse: z.boolean().default(false),
  /** Start the experiment afresh when its name holds other settings; the old results are archived
   * under `<experiment>/archive/<their config digest>/` (activities/config.ts), never deleted. */
  replace: z.boolean().default(false),
});
export type ExperimentInput = z.input<typeof ExperimentInputSchema>;

/** A configuration problem; `issues` lists every bad field with its path. */
export class InvalidConfigError extends ValidationError {
  override readonly name = 'InvalidConfigError';
  constructor(readonly issues: string[]) {
    super(`invalid experiment configuration:\n  - ${issues.join('\n  - ')}`);
  }
}

function formatIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    return `${path || '(input)'}: ${i.message}`;
  });
}

/** Preset + overrides -> a validated configuration, or InvalidConfigError naming every bad field. */
export function resolveExperiment(input: unknown): ExperimentConfig {
  const parsedInput = ExperimentInputSchema.safeParse(input ?? {});
  if (!parsedInput.success) throw new InvalidConfigError(formatIssues(parsedInput.error));
  const { preset, overrides, rehearse } = parsedInput.data;
  // The preset is chosen whole (--preset, or "preset" in the input): an override would only relabel
  // this preset's settings as another's, and its runs would look like the other preset's.
  if ('preset' in overrides && overrides.preset !== preset)
    throw new InvalidConfigError([
      `preset: cannot be overridden (given ${JSON.stringify(overrides.preset)} on top of preset ${preset}): ` +
        `choose the preset itself (bgbias run --preset ${String(overrides.preset)}, or {"preset": ...} in the workflow input)`,
    ]);
  const isRehearsalSetting = (path: string) => path === 'rehearsal' || path.startsWith('rehearsal.');
  const config = applyOverrides(
    PRESETS[preset](),
    Object.entries(overrides).filter(([path]) => !rehearse || !isRehearsalSetting(path)),
    preset,
  );
  if (!rehearse) return config;
  const rehearsal = applyOverrides(
    structuredClone(rehearsalConfig(config)) as unknown as Record<string, unknown>,
    Object.entries(overrides).filter(([path]) => isRehearsalSetting(path)),
  );
  return rehearsal;
}

/**
 * Overrides on a plain configuration, then the schema: InvalidConfigError naming every bad field.
 * With `preset`, the `data.*` overrides come first, then every registered folder dataset without
 * loss hyperparameters gets the default table (configs/folderDatasets.ts), then the other overrides,
 * so `lossParams.myshop.triplet.margin=0.2` edits one value of the defaults.
 */
function applyOverrides(
  config: Record<string, unknown>,
  overrides: [string, unknown][],
  preset?: PresetName,
): ExperimentConfig {
  const problems: string[] = [];
  const isData = ([path]: [string, unknown]) => path === 'data' || path.startsWith('data.');
  const apply = (list: [string, unknown][]) => {
    for (const [path, value] of list) {
      const problem = setPath(config, path, value);
      if (problem) problems.push(problem);
    }
  };
  apply(overrides.filter(isData));
  if (preset) fillFolderLossDefaults(config, preset);
  apply(overrides.filter((o) => !isData(o)));
  if (problems.length) throw new InvalidConfigError(problems);
  const parsed = ExperimentSchema.safeParse(config);
  if (!parsed.success) throw new InvalidConfigError(formatIssues(parsed.error));
  return parsed.data;
}

/** `lossParams.<name>` = the default table for each registered folder dataset that has none. */
function fillFolderLossDefaults(config: Record<string, unknown>, preset: PresetName): void {
  const folders = (config.data as { folders?: unknown } | undefined)?.folders;
  const lossParams = config.lossParams;
  if (!isPlainObject(folders) || !isPlainObject(lossParams)) return; // the schema names what is wrong
  for (const name of Object.keys(folders)) lossParams[name] ??= folderLossDefaults(preset);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sets `a.b.c` in a nested plain object; returns a message when the path cannot exist. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): string | undefined {
  const parts = path.split('.');
  if (parts.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
    return `${path}: not a valid setting path`;
  }
  let node: Record<string, unknown> = target;
  for (const [i, key] of parts.slice(0, -1).entries()) {
    const next = node[key];
    if (next === undefined) {
      return `${parts.slice(0, i + 1).join('.')}: unknown setting (in override ${path})`;
    }
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      return `${parts.slice(0, i + 1).join('.')}: is not a group of settings, cannot set ${path}`;
    }
    node = next as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  node[last] = Array.isArray(node[last]) ? asList(node[last] as unknown[], value) : value;
  return undefined;
}

/**
 * A value given for a list setting: `losses=arcface` and `seeds=7` mean the one-element list,
 * `seeds=1,2` the list of numbers when the preset's list holds numbers (the command line splits
 * `1,2` into the strings "1" and "2").
 */
function asList(current: unknown[], value: unknown): unknown {
  const numeric = current.length > 0 && current.every((x) => typeof x === 'number');
  const item = (x: unknown) => (numeric && typeof x === 'string' && /^-?\d+(\.\d+)?$/.test(x.trim()) ? Number(x) : x);
  if (typeof value === 'string') return value.split(',').map((s) => item(s.trim()));
  if (typeof value === 'number') return [value];
  return Array.isArray(value) ? value.map(item) : value;
}

/** Parses CLI `key.path=value` words; values are JSON when they parse as JSON, else strings. */
export function parseOverrideArgs(args: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new InvalidConfigError([`${arg}: expected key.path=value`]);
    const raw = arg.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // A bare word such as `loss=arcface` stays a string; lists can be written `a,b` too.
      if (raw.includes(',')) value = raw.split(',').map((s) => s.trim());
    }
    out[arg.slice(0, eq)] = value;
  }
  return out;
}
