import { canonicalJson } from '../../core/index.js';
import type { AuditEntry } from './port.js';

/**
 * Repairs the entries canonical JSON refuses (a lone surrogate from some registry's metadata,
 * absurd nesting), field by field; true when any was repaired. The audit sink records such an
 * entry repaired rather than leave it out of the trail or fail its batch (sink.ts, #writeBatch).
 */
export function repairEntries(batch: { entry: AuditEntry }[]): boolean {
  let repaired = false;
  for (const w of batch) {
    if (encodable(w.entry)) continue;
    w.entry = wellFormedDeep(w.entry, 0) as AuditEntry;
    repaired = true;
  }
  return repaired;
}

function encodable(e: AuditEntry): boolean {
  try {
    canonicalJson(e);
    return true;
  } catch {
    return false;
  }
}

/**
 * canonicalJson refuses values below depth 100 of the record (the entry is depth 0, its payload
 * depth 1). A non-empty object or array at the deepest level it accepts is replaced by a marker
 * string, so only the offending field is lost and the rest of the event is recorded as it came.
 */
const CUT_DEPTH = 99;
const DEEP_MARKER = 'unrecordable: nested deeper than 100 levels';

/** Lone surrogates (not representable in UTF-8) become U+FFFD, in strings and member names; over-deep fields are cut. */
function wellFormedDeep(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return (v as string & { toWellFormed(): string }).toWellFormed();
  if (v === null || typeof v !== 'object') return v;
  if (depth >= CUT_DEPTH && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)) return DEEP_MARKER;
  if (Array.isArray(v)) return v.map((x) => wellFormedDeep(x, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [wellFormedDeep(k, 0) as string, wellFormedDeep(x, depth + 1)]));
}
