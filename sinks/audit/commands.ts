import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError, type KeyProvider, type KeyRef, SEVERITIES, type Severity } from '../../core/index.js';
import { parseVerifierKey } from '../../core/tlog/index.js';
import { auditOrigin, openCheckpointKey, signCheckpoint, VKEY_FILE } from './checkpoint.js';
import { AuditError } from './errors.js';
import { appendOperatorAction } from './operator.js';
import { AUDIT_KINDS, type AuditKind, type AuditQuery, type AuditRecord, type AuditStore } from './port.js';
import { getRecordWithProof } from './proof.js';
import { verifyAuditTrail } from './verify.js';

/**
 * `chainwatch audit query|proof|note|verify|checkpoint`, as a function the daemon's CLI calls.
 * The daemon parses --data-dir / --config and passes what they resolve to as deps; both flags
 * are accepted (and ignored) here so argv can be handed over as is. Returns the exit code.
 */
export interface AuditCliDeps {
  /** An OPENED store for the configured backend (createAuditStore(...) then open()). */
  openStore(): Promise<AuditStore>;
  /** <dataDir>/audit: holds checkpoint-key.vkey (and, by default, the key file checkpoint-key.pem). */
  keyDir: string;
  /** Opens the checkpoint key for `audit checkpoint` (the daemon builds it from keys/). */
  keys: KeyProvider;
  /** The checkpoint key: config `audit.key`, else the default key file (checkpointKeyRef). */
  keyRef: KeyRef;
  /** From config `audit.instance`; names the checkpoint origin. */
  instance: string;
  /** Who runs the command (e.g. `${USER}@${hostname}`), recorded on notes. */
  actor: string;
  out(line: string): void;
  err(line: string): void;
  now?: () => Date;
}

const USAGE = `usage: chainwatch audit <command> [--data-dir DIR] [--config FILE]
  query   [--since T] [--until T] [--subject S] [--digest D] [--identity I] [--type T[*]] [--kind K]
          [--severity S] [--limit N] [--after INDEX] [--desc] [--json | --csv]   T: ISO time or 15m/24h/7d ago
  proof   ID|INDEX                       inclusion proof against the latest signed checkpoint (JSON)
  note    TEXT [--subject S]             record an analyst's note (an audited operator action)
  verify  [--vkey FILE] [--checkpoint FILE]... [--json]   exit 0 intact, 1 broken (names the first record)
  checkpoint                             sign a checkpoint of the current tree now`;

const OPTIONS = {
  'data-dir': { type: 'string' },
  config: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  subject: { type: 'string' },
  digest: { type: 'string' },
  identity: { type: 'string' },
  type: { type: 'string' },
  kind: { type: 'string' },
  severity: { type: 'string' },
  limit: { type: 'string' },
  after: { type: 'string' },
  desc: { type: 'boolean' },
  json: { type: 'boolean' },
  csv: { type: 'boolean' },
  vkey: { type: 'string' },
  checkpoint: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parse>['values'];
const parse = (argv: string[]) => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });

export async function auditCommand(argv: string[], deps: AuditCliDeps): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    deps.err(`${describeError(err).message}\n${USAGE}`);
    return 2;
  }
  const [cmd, ...rest] = parsed.positionals;
  if (parsed.values.help || !cmd) {
    deps.out(USAGE);
    return cmd || parsed.values.help ? 0 : 2;
  }
  let store: AuditStore | undefined;
  try {
    store = await deps.openStore();
    switch (cmd) {
      case 'query':
        return await query(store, parsed.values, deps);
      case 'proof':
        return await proof(store, rest[0], deps);
      case 'note':
        return await note(store, rest.join(' '), parsed.values, deps);
      case 'verify':
        return await verify(store, parsed.values, deps);
      case 'checkpoint': {
        const key = await openCheckpointKey(deps.keys, deps.keyRef, auditOrigin(deps.instance), deps.keyDir);
        const cp = await signCheckpoint(store, key, now(deps));
        deps.out(cp ? `signed checkpoint of size ${cp.size}` : 'latest checkpoint already covers every record');
        return 0;
      }
      default:
        deps.err(`unknown audit command ${JSON.stringify(cmd)}\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    const { code, message } = describeError(err);
    deps.err(`audit ${cmd}: ${code}: ${message}`);
    return err instanceof AuditError && err.code === 'AUDIT_USAGE' ? 2 : 1;
  } finally {
    await store?.close();
  }
}

const now = (deps: AuditCliDeps): Date => (deps.now ?? (() => new Date()))();

/** ISO time, or a duration ago ("15m", "24h", "7d"). */
function time(v: string | undefined, deps: AuditCliDeps, flag: string): string | undefined {
  if (v === undefined) return undefined;
  const rel = /^(\d+)(m|h|d)$/.exec(v);
  if (rel) return new Date(now(deps).getTime() - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd']).toISOString();
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new AuditError('AUDIT_USAGE', `--${flag} wants an ISO time or 15m/24h/7d`);
  return new Date(t).toISOString();
}

function buildQuery(v: Values, deps: AuditCliDeps): AuditQuery {
  if (v.severity && !(SEVERITIES as readonly string[]).includes(v.severity))
    throw new AuditError('AUDIT_USAGE', `--severity is one of ${SEVERITIES.join(', ')}`);
  if (v.kind && !(AUDIT_KINDS as readonly string[]).includes(v.kind)) throw new AuditError('AUDIT_USAGE', `--kind is one of ${AUDIT_KINDS.join(', ')}`);
  const int = (s: string | undefined, flag: string): number | undefined => {
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s)) throw new AuditError('AUDIT_USAGE', `--${flag} wants a whole number`);
    return Number(s);
  };
  const q: AuditQuery = { limit: int(v.limit, 'limit') ?? 100, order: v.desc ? 'desc' : 'asc' };
  const since = time(v.since, deps, 'since');
  const until = time(v.until, deps, 'until');
  const after = int(v.after, 'after');
  if (since) q.since = since;
  if (until) q.until = until;
  if (after !== undefined) q.after = after;
  if (v.subject) q.subject = v.subject;
  if (v.digest) q.digest = v.digest;
  if (v.identity) q.identity = v.identity;
  if (v.type) q.type = v.type;
  if (v.kind) q.kind = v.kind as AuditKind;
  if (v.severity) q.severity = v.severity as Severity;
  return q;
}

const COLUMNS = ['index', 'time', 'kind', 'type', 'severity', 'subject', 'identity', 'id'] as const;
const cell = (r: AuditRecord, c: (typeof COLUMNS)[number]): string => String(r[c] ?? '');
const csvCell = (s: string): string => (/[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"` : s);

async function query(store: AuditStore, v: Values, deps: AuditCliDeps): Promise<number> {
  const page = await store.query(buildQuery(v, deps));
  if (v.json) {
    deps.out(JSON.stringify({ records: page.records, ...(page.next !== undefined ? { next: page.next } : {}) }, null, 2));
  } else if (v.csv) {
    deps.out(COLUMNS.join(','));
    for (const r of page.records) deps.out(COLUMNS.map((c) => csvCell(cell(r, c))).join(','));
  } else {
    const rows = [COLUMNS.map((c) => c.toUpperCase()), ...page.records.map((r) => COLUMNS.map((c) => cell(r, c).replace(/\s+/g, ' ')))];
    const widths = COLUMNS.map((_, k) => Math.min(60, Math.max(...rows.map((r) => r[k]!.length))));
    for (const r of rows)
      deps.out(
        r
          .map((s, k) => (s.length > widths[k]! ? `${s.slice(0, widths[k]! - 1)}…` : s.padEnd(widths[k]!)))
          .join('  ')
          .trimEnd(),
      );
    if (page.next !== undefined) deps.out(`(more: --after ${page.next})`);
  }
  return 0;
}

async function proof(store: AuditStore, ref: string | undefined, deps: AuditCliDeps): Promise<number> {
  if (!ref) throw new AuditError('AUDIT_USAGE', 'audit proof needs a record id or index');
  const p = await getRecordWithProof(store, ref);
  if (!p) {
    deps.err(`audit proof: AUDIT_NOT_FOUND: no record ${JSON.stringify(ref)}`);
    return 1;
  }
  if (!p.checkpoint) {
    deps.err(`audit proof: AUDIT_NO_CHECKPOINT: record ${p.index} is newer than the latest checkpoint; run \`audit checkpoint\``);
    return 1;
  }
  const vkey = readVkey(join(deps.keyDir, VKEY_FILE));
  deps.out(JSON.stringify({ ...p, ...(vkey ? { verifierKey: vkey } : {}) }, null, 2));
  return 0;
}

async function note(store: AuditStore, text: string, v: Values, deps: AuditCliDeps): Promise<number> {
  if (!text.trim()) throw new AuditError('AUDIT_USAGE', 'audit note needs some text');
  const r = await appendOperatorAction(store, { actor: deps.actor, action: 'note', text, ...(v.subject ? { subject: v.subject } : {}), time: now(deps) });
  deps.out(`recorded note ${r.id} as audit record ${r.index}`);
  return 0;
}

async function verify(store: AuditStore, v: Values, deps: AuditCliDeps): Promise<number> {
  // An auditor passes --vkey from an independent source; the local copy is a convenience.
  const vkeyPath = v.vkey ?? join(deps.keyDir, VKEY_FILE);
  const vkey = readVkey(vkeyPath);
  if (!vkey) throw new AuditError('AUDIT_KEY_UNREADABLE', `no verifier key at ${vkeyPath}`);
  const extra = (v.checkpoint ?? []).map((f) => readFileSync(f, 'utf8'));
  const report = await verifyAuditTrail(store, parseVerifierKey(vkey), { extraCheckpoints: extra });
  if (v.json) deps.out(JSON.stringify(report, null, 2));
  else if (report.ok)
    deps.out(
      `audit trail intact: ${report.records} records, ${report.checkpoints} checkpoints${report.latest ? `, latest size ${report.latest.size} root ${report.latest.rootHash}` : ''}`,
    );
  else {
    const p = report.problem!;
    deps.out(
      `audit trail BROKEN: ${p.code}${p.index !== undefined ? ` at record ${p.index}` : ''}${p.checkpointSize !== undefined ? ` (checkpoint ${p.checkpointSize})` : ''}: ${p.detail}`,
    );
  }
  return report.ok ? 0 : 1;
}

function readVkey(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
