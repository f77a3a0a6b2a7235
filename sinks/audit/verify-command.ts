import { join } from 'node:path';
import { type CommandSpec, describeError, EXIT, type Invocation } from '../../core/index.js';
import { parseVerifierKey } from '../../core/tlog/index.js';
import { VKEY_FILE } from './checkpoint.js';
import type { AuditCommandSection } from './config.js';
import { AuditError } from './errors.js';
import { type KeyEntry, parseHistory, readHistoryFile, type TrustedKeys, trustedKeys } from './key-history.js';
import type { AuditStore } from './port.js';
import { readSavedCheckpoints } from './saved-checkpoints.js';
import { verifyAuditTrail, type VerifyReport, type WitnessPolicy } from './verify.js';
import { witnessPolicy } from './verify/witness-keys.js';

/**
 * `chainwatch audit verify`: reads the auditor's inputs (verifier keys and key history, saved
 * checkpoints), checks the key history, runs the checklist (verify.ts) against the store and
 * prints the report with an exit code a cron job or CI gate can act on.
 *
 * Exit codes, within the CLI contract (0 ok, 1 failed, 2 usage): 1 is proof of tampering, 3 means
 * signatures the cadence guarantees are missing (deleted checkpoints, or a crash before signing:
 * ask the key holder), 4 that nothing could be checked (store unreachable), which is an outage,
 * not a finding.
 */
export const VERIFY_EXIT = { intact: EXIT.ok, broken: EXIT.failed, usage: EXIT.usage, unverifiable: 3, unavailable: 4 } as const;

type Inv = Invocation<AuditCommandSection>;
/** Runs `body` with the configured store open (read-only) and closes it. */
export type WithStore = (inv: Inv, body: (store: AuditStore) => Promise<number>) => Promise<number>;

export function verifyCommand(withStore: WithStore, keyDir: (inv: Inv) => string): CommandSpec<AuditCommandSection> {
  return {
    name: 'audit verify',
    summary:
      'Check the whole trail. Exit 0 intact; 1 broken (names the first changed, dropped or reordered record, forged row, or edited key history); 2 bad input (--vkey, --checkpoint, --witness-key); 3 unverifiable (records without the signed checkpoints the cadence guarantees: names the unsigned range); 4 store unreachable',
    options: {
      vkey: {
        type: 'string',
        multiple: true,
        placeholder: 'FILE',
        description:
          'verifier keys from an independent source: a file of bare keys or a key history; repeatable; they anchor the local key history (default: the history beside the trail)',
      },
      'witness-key': {
        type: 'string',
        multiple: true,
        placeholder: 'FILE',
        description:
          'a required witness: a file of its cosignature/v1 verifier keys (name+hash+base64); the latest checkpoint must carry its cosignature (WITNESS_MISSING otherwise); repeatable',
      },
      'witness-threshold': {
        type: 'string',
        placeholder: 'K',
        description: 'how many of the --witness-key witnesses must have cosigned (default: all of them)',
      },
      checkpoint: {
        type: 'string',
        multiple: true,
        placeholder: 'PATH',
        description: 'checkpoints saved earlier (a file of signed notes or JSON lines, or a directory of them); the trail must be consistent with each',
      },
    },
    json: true,
    config: true,
    run: (inv) => verify(inv, keyDir(inv), withStore),
  };
}

async function verify(inv: Inv, keyDir: string, withStore: WithStore): Promise<number> {
  const say = (code: string, message: string): void => inv.io.err(`chainwatch audit verify: ${code}: ${message}`);
  // Inputs first: a bad --vkey or --checkpoint is the auditor's mistake (2), whatever the store holds.
  // An auditor passes --vkey from an independent source; the local copy is a convenience.
  const given = (inv.options.vkey as string[] | undefined) ?? [];
  const history = (path: string): KeyEntry[] => {
    const lines = readHistoryFile(path);
    if (!lines?.length) throw new AuditError('AUDIT_KEY_UNREADABLE', `no verifier key at ${path} (give one with --vkey)`);
    try {
      return parseHistory(lines);
    } catch (err) {
      throw new AuditError('AUDIT_KEY_UNREADABLE', `${path}: not a verifier key: ${describeError(err).code}`, { cause: err });
    }
  };
  let trust: TrustedKeys;
  let extra: string[];
  let witnesses: WitnessPolicy | undefined;
  try {
    const localPath = join(keyDir, VKEY_FILE);
    // --vkey keys (from an independent source) anchor the chain the local history extends.
    const local = given.length ? safeHistory(localPath) : history(localPath);
    trust = trustedKeys(local, given.length ? given.flatMap(history) : undefined);
    extra = readSavedCheckpoints((inv.options.checkpoint as string[] | undefined) ?? []).map((c) => c.note);
    witnesses = witnessPolicy(inv.options['witness-key'] as string[] | undefined, inv.options['witness-threshold'] as string | undefined, trust);
  } catch (err) {
    if (!(err instanceof AuditError)) throw err;
    say(err.code, err.message);
    return VERIFY_EXIT.usage;
  }
  for (const w of trust.warnings) say('KEY_UNCHAINED', w);
  if (trust.tampered) {
    const report: VerifyReport = {
      ok: false,
      verdict: 'broken',
      records: 0,
      checkpoints: 0,
      problem: { code: 'KEY_HISTORY_TAMPERED', detail: trust.tampered },
    };
    printReport(inv, report);
    return VERIFY_EXIT.broken;
  }
  const keyRanges = trust.keys.map((k) => ({
    verifier: parseVerifierKey(k.vkey),
    ...(k.fromSize !== undefined ? { fromSize: k.fromSize } : {}),
    ...(k.toSize !== undefined ? { toSize: k.toSize } : {}),
  }));
  const vkeys = keyRanges.map((r) => r.verifier);
  const s = inv.section;
  const cadence =
    s.checkpointEvery !== undefined && s.maxBatch !== undefined && s.checkpointInterval !== undefined
      ? { every: s.checkpointEvery, maxBatch: s.maxBatch, intervalMs: s.checkpointInterval }
      : undefined;
  let report: VerifyReport | undefined;
  try {
    await withStore(inv, async (store) => {
      report = await verifyAuditTrail(store, vkeys, {
        keyRanges,
        extraCheckpoints: extra,
        now: inv.now(),
        ...(cadence ? { cadence } : {}),
        ...(witnesses ? { witnesses } : {}),
      });
      return EXIT.ok;
    });
  } catch (err) {
    // The store could not be read: an outage (or a wrong --data-dir), not a finding about the trail.
    const { code, message } = describeError(err);
    say(code, message);
    return VERIFY_EXIT.unavailable;
  }
  if (!report) return VERIFY_EXIT.unavailable; // unreachable: withStore ran the body or threw
  printReport(inv, report);
  return VERIFY_EXIT[report.verdict];
}

/** The local history when --vkey anchors the chain: missing or malformed, it only adds no keys. */
function safeHistory(path: string): KeyEntry[] {
  try {
    return parseHistory(readHistoryFile(path) ?? []);
  } catch {
    return [];
  }
}

function printReport(inv: Inv, report: VerifyReport): void {
  const unsigned = report.unsigned ? `; records ${report.unsigned.from}..${report.unsigned.to} not yet covered by a signed checkpoint` : '';
  if (inv.json) inv.io.out(JSON.stringify(report, null, 2));
  else if (report.ok) {
    inv.io.out(
      `audit trail intact: ${report.records} records, ${report.checkpoints} checkpoints${report.latest ? `, latest size ${report.latest.size} root ${report.latest.rootHash}` : ''}${unsigned}`,
    );
  } else {
    const p = report.problem!;
    inv.io.out(
      `audit trail ${report.verdict === 'unverifiable' ? 'UNVERIFIABLE' : 'BROKEN'}: ${p.code}${p.index !== undefined ? ` at record ${p.index}` : ''}${p.checkpointSize !== undefined ? ` (checkpoint ${p.checkpointSize})` : ''}: ${p.detail}`,
    );
    if (report.unsigned) inv.io.out(`unsigned range: records ${report.unsigned.from}..${report.unsigned.to}`);
  }
}
