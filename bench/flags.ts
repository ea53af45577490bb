/**
 * The benchmarks' command-line flags, read one way for all of them: `--name value`, a bare `--name`
 * (a switch), and the words that are neither (smoke-effect's config overrides). The benchmarks are
 * hand-run developer tools with a few flags each; the product's CLI (cli/) uses commander.
 */

/** The value after `--name`, or `fallback` when the flag is absent; a flag without a value is an error. */
export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

/** `--name N` with N a positive integer, or `fallback` when the flag is absent. */
export function positiveIntFlag(name: string, fallback: number): number {
  const raw = flag(name, String(fallback));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Whether the switch `--name` is on the command line. */
export function hasFlag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/** The words after the script that are neither a `--flag` nor its value (every flag here takes one). */
export function positionalWords(): string[] {
  const out: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) i++;
    else out.push(argv[i]);
  }
  return out;
}
