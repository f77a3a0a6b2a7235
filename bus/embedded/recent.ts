/** One stored record as the consumer reads it: the columns of `records` it selects. */
export interface StoredRow {
  offset: number;
  key: string;
  /** The `headers` column as stored: JSON text, or null when there were none. */
  headers: string | null;
  value: Buffer;
  ts: number;
}

interface Run {
  /** Offset of rows[0]; rows hold first, first + 1, ... with no gap. */
  first: number;
  rows: StoredRow[];
  bytes: number;
}

/**
 * The records this process appended most recently, per (topic, partition), exactly as committed:
 * an in-process consumer that is keeping up reads them from here instead of selecting the bytes it
 * just wrote back out of SQLite (that SELECT was a fifth of the bus's CPU per event). It is a read
 * cache only: a row enters after its transaction committed, the consumer still decodes the same
 * bytes and commits its offset only after handling, and anything not here (older, appended by
 * another process, dropped to stay within the budget) is read from the database as before.
 */
export class RecentRecords {
  private readonly runs = new Map<string, Run>();
  private bytes = 0;

  /**
   * @param maxRowsPerPartition a run longer than this drops its older half (a consumer further
   *   behind reads from SQLite)
   * @param maxBytes budget over all partitions; beyond it the largest run drops its older half
   */
  constructor(
    private readonly maxRowsPerPartition: number,
    private readonly maxBytes: number,
  ) {}

  /** Records rows committed at consecutive offsets starting at `first`. */
  add(topic: string, partition: number, rows: readonly StoredRow[]): void {
    if (rows.length === 0) return;
    const k = `${topic}\0${partition}`;
    let run = this.runs.get(k);
    // A gap (another process appended in between, or this run was trimmed away) starts a new run.
    if (!run || run.first + run.rows.length !== rows[0]!.offset) {
      if (run) this.bytes -= run.bytes;
      run = { first: rows[0]!.offset, rows: [], bytes: 0 };
      this.runs.set(k, run);
    }
    for (const r of rows) {
      run.rows.push(r);
      run.bytes += r.value.byteLength;
      this.bytes += r.value.byteLength;
    }
    if (run.rows.length > this.maxRowsPerPartition) this.dropOlderHalf(run);
    while (this.bytes > this.maxBytes) {
      let largest: Run | undefined;
      for (const r of this.runs.values()) if (!largest || r.bytes > largest.bytes) largest = r;
      if (!largest || largest.rows.length === 0) break;
      this.dropOlderHalf(largest);
    }
  }

  /**
   * Up to `max` rows from offset `from` on, when this cache holds `from`; undefined otherwise
   * (read SQLite). Rows returned are consecutive from `from`, as `SELECT ... offset >= from` gives.
   */
  take(topic: string, partition: number, from: number, max: number): StoredRow[] | undefined {
    const run = this.runs.get(`${topic}\0${partition}`);
    if (!run) return undefined;
    const i = from - run.first;
    if (i < 0 || i >= run.rows.length) return undefined;
    return run.rows.slice(i, i + max);
  }

  /** Forgets everything (retention deleted rows; the database is the truth again). */
  clear(): void {
    this.runs.clear();
    this.bytes = 0;
  }

  private dropOlderHalf(run: Run): void {
    const n = Math.ceil(run.rows.length / 2);
    let freed = 0;
    for (let i = 0; i < n; i++) freed += run.rows[i]!.value.byteLength;
    run.rows.splice(0, n);
    run.first += n;
    run.bytes -= freed;
    this.bytes -= freed;
  }
}
