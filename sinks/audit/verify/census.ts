import { DEFAULT_STRIDE } from '../../../core/tlog/index.js';
import type { TableCensus } from '../port.js';
import { fail } from './failure.js';

type Range = Pick<TableCensus, 'count' | 'min' | 'max'>;
const dense = (count: number): Range => ({ count, min: count > 0 ? 0 : null, max: count > 0 ? count - 1 : null });
const show = (r: Range): string => `${r.count} rows, index ${r.min ?? '-'}..${r.max ?? '-'}`;

/**
 * Step 6: every row of every table, counted (count, min, max), against what a verified tree of
 * `size` records has. The walk reads only the rows it asks for, so a forged extra fields or node
 * row would otherwise go unseen. `listedCheckpoints` is how many checkpoint rows step 1 read: a
 * row it did not list (or could not, past a page) is counted here.
 */
export function verifyCensus(census: readonly TableCensus[], size: number, listedCheckpoints: number): void {
  const name = (c: Pick<TableCensus, 'table' | 'level'>): string => (c.level === undefined ? c.table : `${c.table} level ${c.level}`);
  const expected = new Map<string, Range>([
    ['records', dense(size)],
    ['fields', dense(size)],
  ]);
  // Stored node levels: multiples of the stride above 0 (level 0 is the leaf hash beside each record).
  for (let level = DEFAULT_STRIDE; 2 ** level <= size; level += DEFAULT_STRIDE) expected.set(`nodes level ${level}`, dense(Math.floor(size / 2 ** level)));
  const seen = new Set<string>();
  for (const c of census) {
    const table = name(c);
    seen.add(table);
    if (c.table === 'checkpoints') {
      if (c.count !== listedCheckpoints || (c.max ?? 0) > size || (c.min ?? 0) < 0) {
        mismatch(table, `${listedCheckpoints} rows, sizes 0..${size}`, show(c));
      }
      continue;
    }
    const want = expected.get(table) ?? dense(0);
    if (c.count !== want.count || c.min !== want.min || c.max !== want.max) mismatch(table, show(want), show(c));
  }
  // A search backend keeps fields inside the record document: no separate census row for them.
  for (const [table, want] of expected) if (!seen.has(table) && want.count > 0 && table !== 'fields') mismatch(table, show(want), show(dense(0)));
}

function mismatch(table: string, expected: string, found: string): never {
  return fail({ code: 'ROW_CENSUS_MISMATCH', detail: `table ${table}: expected ${expected}, found ${found}` });
}
