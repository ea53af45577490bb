import { isAbsolute, resolve } from 'node:path';

/**
 * `data.folders.<name>` overrides from the command line with their paths made absolute against the
 * shell's folder: `data.folders.myshop=./photos` means the photos beside the user, while the setting
 * itself must be absolute (configs/schema.ts), since a worker started elsewhere reads it. Other
 * overrides, and values that are not strings or {path, masks} objects, pass unchanged.
 */
export function absoluteFolderPaths(overrides: Record<string, unknown>, cwd: string): Record<string, unknown> {
  const abs = (p: unknown) => (typeof p === 'string' && p !== '' && !isAbsolute(p) ? resolve(cwd, p) : p);
  const inFolder = (value: unknown) => {
    if (typeof value === 'string') return abs(value);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const v = value as Record<string, unknown>;
    return { ...v, ...('path' in v ? { path: abs(v.path) } : {}), ...('masks' in v ? { masks: abs(v.masks) } : {}) };
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    const parts = key.split('.');
    if (parts[0] !== 'data' || parts[1] !== 'folders') out[key] = value;
    else if (parts.length === 2 && typeof value === 'object' && value !== null && !Array.isArray(value))
      out[key] = Object.fromEntries(Object.entries(value).map(([name, v]) => [name, inFolder(v)]));
    else if (parts.length === 3) out[key] = inFolder(value);
    else if (parts.length === 4 && (parts[3] === 'path' || parts[3] === 'masks')) out[key] = abs(value);
    else out[key] = value;
  }
  return out;
}
