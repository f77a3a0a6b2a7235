import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  type CommandSpec,
  EXIT,
  type Invocation,
  numberOption,
  parseDuration,
  type RetryPolicy,
  SEVERITIES,
  type Severity,
  UsageError,
  withRetry,
} from '../../core/index.js';
import { attachWitness } from './witness/open.js';
import { auditOrigin, checkpointKeyRef, openCheckpointKey, readKeyHistory, signCheckpoint, VKEY_FILE } from './checkpoint.js';
import type { AuditCommandSection } from './config.js';
import { auditDir, createAuditStore } from './factory.js';
import { appendOperatorAction } from './operator.js';
import { AUDIT_KINDS, type AuditKind, type AuditQuery, type AuditRecord, type AuditStore } from './port.js';
import { getRecordWithProof } from './proof.js';
import { verifyCommand } from './verify-command.js';

/**
 * `chainwatch audit query|proof|note|verify|checkpoint` (docs/audit.md). They read the configured
 * backend (`sinks.audit.backend`), so `--config`/`--data-dir` select the same trail the daemon writes.
 */
type Section = AuditCommandSection;
type Inv = Invocation<Section>;

/**
 * How long a writing command waits for its turn beside a running daemon. The daemon's sink appends
 * to the same trail in a tight loop while it consumes events: an append that finds the trail grew
 * after it read the tree's frontier, or a write lock held past SQLite's busy timeout, fails with a
 * retriable AUDIT_WRITE_FAILED. The sink retries such failures; the CLI must too, or a note typed
 * while the daemon is busy is lost (exit 1). Past the deadline it exits with the RetryError
 * (RETRY_DEADLINE, the store's error as its cause).
 */
const CLI_WRITE_RETRY: RetryPolicy = { maxAttempts: Infinity, baseDelayMs: 50, maxDelayMs: 1_000, deadlineMs: 30_000 };

export interface AuditCommandDeps {
  /**
   * Opens the store of the configured backend (tests hand in theirs). `create: false` (read-only
   * commands) refuses to create a store that does not exist: AUDIT_STORE_NOT_FOUND.
   */
  openStore(section: Section, dataDir: string, opts: { create: boolean }): Promise<AuditStore>;
  /** Who runs the command, recorded on notes. */
  actor(): string;
}

const defaults: AuditCommandDeps = {
  async openStore(section, dataDir, opts) {
    const store = createAuditStore(section.backend, { dataDir, create: opts.create });
    await store.open();
    return store;
  },
  actor() {
    try {
      return `${userInfo().username}@${hostname()}`;
    } catch {
      return 'unknown'; // no passwd entry (containers)
    }
  },
};

export function auditCommands(deps: AuditCommandDeps = defaults): CommandSpec<Section>[] {
  /** Runs `body` with the store open, and closes it whatever happens. */
  const withStore = async (inv: Inv, body: (store: AuditStore) => Promise<number>, create = false): Promise<number> => {
    const store = await deps.openStore(inv.section, inv.daemon!.dataDir, { create });
    try {
      return await body(store);
    } finally {
      await store.close();
    }
  };
  const keyDir = (inv: Inv): string => auditDir(inv.daemon!.dataDir);

  return [
    {
      name: 'audit query',
      summary: 'List audit records by time, subject or digest, identity, type, kind or severity',
      options: {
        since: { type: 'string', placeholder: 'T', description: 'from this time (ISO 8601, or 15m/24h/7d ago)' },
        until: { type: 'string', placeholder: 'T', description: 'before this time' },
        subject: { type: 'string', placeholder: 'S', description: 'records about this subject' },
        digest: { type: 'string', placeholder: 'D', description: 'records about this artifact digest' },
        identity: { type: 'string', placeholder: 'I', description: 'records of this signer identity or operator' },
        type: { type: 'string', placeholder: 'T', description: 'event type; a trailing * matches a prefix' },
        kind: { type: 'string', placeholder: 'K', description: `record kind: ${AUDIT_KINDS.join(', ')}` },
        severity: { type: 'string', placeholder: 'S', description: `findings of at least this severity: ${SEVERITIES.join(', ')}` },
        limit: { type: 'string', placeholder: 'N', description: 'records per page (default 100)' },
        after: { type: 'string', placeholder: 'INDEX', description: 'the page after this record index' },
        desc: { type: 'boolean', description: 'newest first' },
        csv: { type: 'boolean', description: 'print CSV (spreadsheet-safe) instead of a table' },
      },
      json: true,
      config: true,
      run: (inv) => withStore(inv, (store) => query(store, inv)),
    },
    {
      name: 'audit proof',
      summary: 'Print a record with its inclusion proof against the latest signed checkpoint (JSON)',
      args: [{ name: 'ID', description: 'the record id (event, finding or operator action id), even when all digits', optional: true }],
      options: { index: { type: 'string', placeholder: 'N', description: 'the record at this position in the log instead of an id' } },
      json: true, // the proof is JSON either way
      config: true,
      run: (inv) => {
        const index = numberOption(inv.options, 'index', { integer: true, zero: true });
        const id = inv.args[0];
        if ((index === undefined) === (id === undefined)) throw new UsageError('give a record ID or --index N (not both)');
        return withStore(inv, (store) => proof(store, index !== undefined ? { index } : { id: id! }, inv, keyDir(inv)));
      },
    },
    {
      name: 'audit note',
      summary: "Record an analyst's note or acknowledgement (itself an audited operator action)",
      args: [{ name: 'TEXT', description: 'the note', variadic: true }],
      options: { subject: { type: 'string', placeholder: 'S', description: 'what the note is about (digest, subject)' } },
      json: true,
      config: true,
      run: (inv) =>
        withStore(
          inv,
          async (store) => {
            const text = inv.args.join(' ');
            if (!text.trim()) throw new UsageError('audit note needs some text');
            const subject = inv.options.subject as string | undefined;
            const note = { actor: deps.actor(), action: 'note', text, ...(subject ? { subject } : {}), time: inv.now() };
            // A failed attempt wrote nothing (one transaction per append): trying again cannot record the note twice.
            const r = await withRetry(() => appendOperatorAction(store, note), CLI_WRITE_RETRY);
            inv.io.out(inv.json ? JSON.stringify({ id: r.id, index: r.index }) : `recorded note ${r.id} as audit record ${r.index}`);
            return EXIT.ok;
          },
          true,
        ),
    },
    verifyCommand((inv, body) => withStore(inv, body), keyDir),
    {
      name: 'audit checkpoint',
      summary: 'Sign a checkpoint of the current tree now',
      json: true,
      config: true,
      run: (inv) =>
        withStore(inv, async (store) => {
          const dir = keyDir(inv);
          // Never creates a key (nor a store): a new key here would fork the trail's signatures.
          const key = await openCheckpointKey(inv.keys, checkpointKeyRef(inv.section, dir), auditOrigin(inv.section.instance), dir, {
            create: false,
            size: await store.size(),
            now: inv.now(),
          });
          const witnessed = await attachWitness(key, inv.section.witness, inv.section.instance, inv.keys, { create: false, now: () => inv.now() });
          let cp;
          try {
            cp = await signCheckpoint(store, witnessed, inv.now());
          } finally {
            await witnessed.close();
          }
          if (inv.json) inv.io.out(JSON.stringify({ signed: cp !== undefined, size: cp?.size ?? (await store.size()) }));
          else inv.io.out(cp ? `signed checkpoint of size ${cp.size}` : 'latest checkpoint already covers every record');
          return EXIT.ok;
        }),
    },
  ];
}

/** ISO time, or a duration ago ("15m", "24h", "7d": core's duration syntax). */
function time(v: string | undefined, now: Date, flag: string): string | undefined {
  if (v === undefined) return undefined;
  const ago = parseDuration(v);
  if (ago !== undefined) return new Date(now.getTime() - ago).toISOString();
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--${flag} wants an ISO time or 15m/24h/7d`);
  return new Date(t).toISOString();
}

function buildQuery(inv: Inv): AuditQuery {
  const v = inv.options as Record<string, string | boolean | undefined>;
  const str = (k: string): string | undefined => (typeof v[k] === 'string' ? v[k] : undefined);
  const severity = str('severity');
  const kind = str('kind');
  if (severity && !(SEVERITIES as readonly string[]).includes(severity)) throw new UsageError(`--severity is one of ${SEVERITIES.join(', ')}`);
  if (kind && !(AUDIT_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kind is one of ${AUDIT_KINDS.join(', ')}`);
  const int = (flag: string): number | undefined => numberOption(inv.options, flag, { integer: true, zero: true });
  const q: AuditQuery = { limit: int('limit') ?? 100, order: v.desc === true ? 'desc' : 'asc' };
  const since = time(str('since'), inv.now(), 'since');
  const until = time(str('until'), inv.now(), 'until');
  const after = int('after');
  if (since) q.since = since;
  if (until) q.until = until;
  if (after !== undefined) q.after = after;
  for (const k of ['subject', 'digest', 'identity', 'type'] as const) {
    const s = str(k);
    if (s) q[k] = s;
  }
  if (kind) q.kind = kind as AuditKind;
  if (severity) q.severity = severity as Severity;
  return q;
}

const COLUMNS = ['index', 'time', 'kind', 'type', 'severity', 'subject', 'identity', 'id'] as const;
const cell = (r: AuditRecord, c: (typeof COLUMNS)[number]): string => String(r[c] ?? '');
/** Quotes CSV cells, and defuses formula injection (=, +, -, @) for spreadsheet users. */
const csvCell = (s: string): string => (/[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"` : s);

async function query(store: AuditStore, inv: Inv): Promise<number> {
  const q = buildQuery(inv);
  if (inv.json && inv.options.csv === true) throw new UsageError('--json and --csv exclude each other');
  const page = await store.query(q);
  const out = inv.io.out;
  if (inv.json) {
    out(JSON.stringify({ records: page.records, ...(page.next !== undefined ? { next: page.next } : {}) }, null, 2));
  } else if (inv.options.csv === true) {
    out(COLUMNS.join(','));
    for (const r of page.records) out(COLUMNS.map((c) => csvCell(cell(r, c))).join(','));
  } else {
    const rows = [COLUMNS.map((c) => c.toUpperCase()), ...page.records.map((r) => COLUMNS.map((c) => cell(r, c).replace(/\s+/g, ' ')))];
    const widths = COLUMNS.map((_, k) => Math.min(60, Math.max(...rows.map((r) => r[k]!.length))));
    for (const r of rows)
      out(
        r
          .map((s, k) => (s.length > widths[k]! ? `${s.slice(0, widths[k]! - 1)}…` : s.padEnd(widths[k]!)))
          .join('  ')
          .trimEnd(),
      );
    if (page.next !== undefined) out(`(more: --after ${page.next})`);
  }
  return EXIT.ok;
}

async function proof(store: AuditStore, ref: { index: number } | { id: string }, inv: Inv, keyDir: string): Promise<number> {
  const p = await getRecordWithProof(store, ref);
  const shown = 'index' in ref ? `at index ${ref.index}` : JSON.stringify(ref.id);
  if (!p) {
    inv.io.err(`chainwatch audit proof: AUDIT_NOT_FOUND: no record ${shown}`);
    return EXIT.failed;
  }
  if (!p.checkpoint) {
    inv.io.err(`chainwatch audit proof: AUDIT_NO_CHECKPOINT: record ${p.index} is newer than the latest checkpoint; run \`chainwatch audit checkpoint\``);
    return EXIT.failed;
  }
  const vkey = readKeyHistory(join(keyDir, VKEY_FILE))?.at(-1); // the current key: the last of the history
  inv.io.out(JSON.stringify({ ...p, ...(vkey ? { verifierKey: vkey } : {}) }, null, 2));
  return EXIT.ok;
}
