/**
 * An activity registry with every activity run inside `around`: the one way this project wraps its
 * activities (error classification in errorMapping.ts, the workers' memory lines in
 * workers/memoryLog.ts). Temporal registers activities by key; the wrapper keeps each key and also
 * the function name, which only helps stack traces.
 */
export type AnyActivity = (...args: never[]) => Promise<unknown>;

export function wrapActivities<T extends Record<string, AnyActivity>>(
  activities: T,
  around: (name: string, run: () => Promise<unknown>) => Promise<unknown>,
): T {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    const run = (...args: never[]) => around(name, () => fn(...args));
    Object.defineProperty(run, 'name', { value: name });
    wrapped[name] = run;
  }
  return wrapped as T;
}
