import { formatDuration } from '../../core/index.js';
import { hasKey, joinPath, nodeOf, type Passes } from './schema-walk.js';

/**
 * Durations are written '500ms' / '30s' / '5m' / '1h' / '7d' under keys without a unit suffix
 * (core/duration.ts). For one release the loader still reads the old spellings, with a warning
 * naming the full config path: a legacy `fooMs` (or `fooHours`, `fooDays`) key becomes `foo`, and
 * a bare number where a duration is expected is read as milliseconds. Both spellings of one key
 * in one place is a config error: which one was meant cannot be guessed.
 */
export interface ConfigWarning {
  /** Dotted config path the warning is about. */
  path: string;
  message: string;
}

/** Old unit suffixes and their factor to milliseconds. */
const LEGACY_SUFFIXES: readonly (readonly [string, number])[] = [
  ['Ms', 1],
  ['Seconds', 1000],
  ['Hours', 3_600_000],
  ['Days', 86_400_000],
];

/** The duration key `key` is the legacy spelling of in `shape`, with its unit factor. */
export function legacyDurationKey(shape: Record<string, Parameters<typeof nodeOf>[0]>, key: string): { key: string; factor: number } | undefined {
  if (hasKey(shape, key)) return undefined;
  for (const [suffix, factor] of LEGACY_SUFFIXES) {
    const base = key.slice(0, -suffix.length);
    if (key.endsWith(suffix) && base && hasKey(shape, base) && nodeOf(shape[base]!).kind === 'duration') return { key: base, factor };
  }
  return undefined;
}

/** Every legacy spelling the duration keys of `shape` accept (for environment variable names). */
export function legacyDurationSpellings(shape: Record<string, Parameters<typeof nodeOf>[0]>): string[] {
  const out: string[] = [];
  for (const base of Object.keys(shape)) {
    if (nodeOf(shape[base]!).kind === 'duration') for (const [suffix] of LEGACY_SUFFIXES) if (!hasKey(shape, `${base}${suffix}`)) out.push(`${base}${suffix}`);
  }
  return out;
}

/** A legacy value in the new spelling: numbers scaled to their unit ("250ms", "7d"), anything else left for validation. */
export function legacyDurationValue(value: unknown, factor: number): unknown {
  return typeof value === 'number' && Number.isFinite(value) ? formatDuration(value * factor) : value;
}

/** Renames legacy duration keys of one config layer (a file), collecting warnings and conflicts. */
export function legacyDurationPass(warnings: ConfigWarning[], conflicts: ConfigWarning[]): Passes {
  return {
    object(shape, value, path) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const legacy = legacyDurationKey(shape, k);
        if (!legacy) {
          out[k] = v;
          continue;
        }
        const old = joinPath(path, k);
        const now = joinPath(path, legacy.key);
        if (Object.hasOwn(value, legacy.key)) {
          conflicts.push({ path: old, message: `both ${k} (deprecated) and ${legacy.key} are set; keep only ${legacy.key}` });
          continue;
        }
        const converted = legacyDurationValue(v, legacy.factor);
        warnings.push({ path: old, message: `${old} is deprecated: write ${now}: ${String(converted)}` });
        out[legacy.key] = converted;
      }
      return out;
    },
    known: (shape, k) => hasKey(shape, k) || legacyDurationKey(shape, k) !== undefined,
  };
}

/** The warning for a bare number where a duration is expected (read as milliseconds). */
export function bareNumberWarning(value: unknown, path: string): ConfigWarning | undefined {
  if (typeof value !== 'number') return undefined;
  return { path, message: `${path}: a bare number is deprecated and read as milliseconds; write ${formatDuration(value)}` };
}
