import { appendFileSync, readFileSync } from 'node:fs';
import { canonicalJson } from '../../core/index.js';
import { type AsyncNoteSigner, parseVerifierKey } from '../../core/tlog/index.js';

/**
 * The checkpoint key history (`<auditDir>/checkpoint-key.vkey`), append-only, one line each:
 *   - a bare C2SP verifier key: the format before ranges (still read; its range is unknown);
 *   - `{"kind":"key","vkey":…,"fromSize":N,"from":ISO,"previous":vkey?,"ref":…?,"sig":b64?}`:
 *     a key that signs checkpoints of size >= fromSize; `sig` is its predecessor's signature over
 *     the canonical entry without `sig` (present when the previous key could still sign at rotation);
 *   - `{"kind":"close","vkey":…,"toSize":N,"at":ISO,"sig":b64}`: a superseded key signs no
 *     checkpoint above N; `sig` is the *successor's* signature over the canonical line without it.
 *     The successor, not the closing key: it is the one key that exists at every rotation (also
 *     after a loss), and whoever holds (or stole) the old key must not be able to widen its range.
 * Lines are never rewritten: closing a key appends a line, just before its successor's entry.
 */
export interface KeyEntry {
  vkey: string;
  fromSize?: number;
  from?: string;
  toSize?: number;
  previous?: string;
  /** Where the key lived (a file path; never key material): lets the next rotation find it to chain. */
  ref?: unknown;
  sig?: string;
  /** From the key's close line: when it was closed and the successor's signature over the line. */
  closeAt?: string;
  closeSig?: string;
  /** More than one close line names this key. */
  closedTwice?: boolean;
  /** A bare verifier key line (the old format). */
  legacy: boolean;
}

/** Domain separation: a signature over a history entry can never be replayed as a note signature. */
const CONTEXT = 'chainwatch audit key history v1\n';

export function readHistoryFile(path: string): string[] | undefined {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
  } catch {
    return undefined;
  }
}

/** Parses history lines (both formats). Throws on a line that is neither. */
export function parseHistory(lines: readonly string[]): KeyEntry[] {
  const entries: KeyEntry[] = [];
  for (const line of lines) {
    if (!line.startsWith('{')) {
      parseVerifierKey(line); // throws TlogError on a malformed key
      entries.push({ vkey: line, legacy: true });
      continue;
    }
    const o = JSON.parse(line) as Record<string, unknown>;
    if (o.kind === 'key' && typeof o.vkey === 'string' && typeof o.fromSize === 'number') {
      parseVerifierKey(o.vkey);
      entries.push({
        vkey: o.vkey,
        fromSize: o.fromSize,
        legacy: false,
        ...(typeof o.from === 'string' ? { from: o.from } : {}),
        ...(typeof o.previous === 'string' ? { previous: o.previous } : {}),
        ...(o.ref !== undefined ? { ref: o.ref } : {}),
        ...(typeof o.sig === 'string' ? { sig: o.sig } : {}),
      });
    } else if (o.kind === 'close' && typeof o.vkey === 'string' && typeof o.toSize === 'number') {
      const open = entries.findLast((e) => e.vkey === o.vkey);
      if (!open) throw new SyntaxError(`close line for a key not in the history`);
      if (open.toSize !== undefined) open.closedTwice = true;
      else {
        open.toSize = o.toSize;
        if (typeof o.at === 'string') open.closeAt = o.at;
        if (typeof o.sig === 'string') open.closeSig = o.sig;
      }
    } else throw new SyntaxError('not a key history line');
  }
  return entries;
}

function signedBody(e: { vkey: string; fromSize: number; from: string; previous?: string; ref?: unknown }): Buffer {
  return Buffer.from(CONTEXT + canonicalJson({ kind: 'key', ...e }), 'utf8');
}

function closeBody(c: { vkey: string; toSize: number; at: string }): Buffer {
  return Buffer.from(CONTEXT + canonicalJson({ kind: 'close', ...c }), 'utf8');
}

/**
 * Appends the close line of `previous` (when given), signed by the new key (`successor`), and the
 * new key's entry, signed by `predecessor` when that key is still available.
 */
export async function appendKeyEntry(
  path: string,
  entry: { vkey: string; fromSize: number; from: string; previous?: string; ref?: unknown },
  signers: { successor: AsyncNoteSigner; predecessor: AsyncNoteSigner | undefined },
): Promise<void> {
  const sig = signers.predecessor ? (await signers.predecessor.sign(signedBody(entry))).toString('base64') : undefined;
  let text = '';
  if (entry.previous) {
    const close = { vkey: entry.previous, toSize: entry.fromSize, at: entry.from };
    const closeSig = (await signers.successor.sign(closeBody(close))).toString('base64');
    text += `${canonicalJson({ kind: 'close', ...close, sig: closeSig })}\n`;
  }
  text += `${canonicalJson({ kind: 'key', ...entry, ...(sig ? { sig } : {}) })}\n`;
  appendFileSync(path, text, { mode: 0o600 });
}

/** What the chain says about one entry. */
export type ChainStatus = 'chained' | 'unchained' | 'bad-signature' | 'legacy';

export function chainStatus(e: KeyEntry): ChainStatus {
  if (e.legacy) return 'legacy';
  if (!e.sig || !e.previous) return e.previous ? 'unchained' : 'chained'; // the first key has no predecessor
  try {
    const v = parseVerifierKey(e.previous);
    const { vkey, fromSize, from, previous, ref } = e;
    const body = signedBody({ vkey, fromSize: fromSize!, from: from ?? '', ...(previous ? { previous } : {}), ...(ref !== undefined ? { ref } : {}) });
    return v.verify(body, Buffer.from(e.sig, 'base64')) ? 'chained' : 'bad-signature';
  } catch {
    return 'bad-signature';
  }
}

/**
 * The history's shape, which no single signature covers on its own: every entry after the first
 * names the key before it, and every superseded key has exactly one close line, at its
 * successor's fromSize, signed by that successor. So a close cannot be dropped, widened or
 * forged, and an entry cannot pose as a first key, without the successor's key. Bare (old
 * format) lines carry nothing to check. Returns what is wrong, or undefined.
 */
export function shapeProblem(entries: readonly KeyEntry[]): string | undefined {
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    const next = entries[k + 1];
    if (e.closedTwice) return `the key ${e.vkey} is closed twice`;
    if (k > 0 && !e.legacy && e.previous !== entries[k - 1]!.vkey) {
      return `the key history entry of ${e.vkey} (from size ${e.fromSize}) does not name the key before it`;
    }
    if (!next || next.legacy) {
      if (e.toSize !== undefined && !next) return `the key ${e.vkey} is closed at size ${e.toSize} but no key follows it`;
      continue;
    }
    if (e.toSize === undefined) return `the close line of ${e.vkey} (superseded at size ${next.fromSize}) is missing`;
    if (e.toSize !== next.fromSize || !closeSigned(e, next)) {
      return `the close line of ${e.vkey} (size ${e.toSize}) does not carry its successor's signature: it was edited`;
    }
  }
  return undefined;
}

function closeSigned(closed: KeyEntry, successor: KeyEntry): boolean {
  if (!closed.closeSig || closed.toSize === undefined) return false;
  try {
    const body = closeBody({ vkey: closed.vkey, toSize: closed.toSize, at: closed.closeAt ?? '' });
    return parseVerifierKey(successor.vkey).verify(body, Buffer.from(closed.closeSig, 'base64'));
  } catch {
    return false;
  }
}

/** True when `e` may sign a checkpoint of `size` (bare keys: any size, their range is unknown). */
export function covers(e: KeyEntry, size: number): boolean {
  return (e.fromSize === undefined || size >= e.fromSize) && (e.toSize === undefined || size <= e.toSize);
}

/** The keys an auditor trusts, with their ranges, and what the chain says. */
export interface TrustedKeys {
  keys: KeyEntry[];
  /** e.g. "unchained key from size N": a key change the previous key did not sign (a key loss). */
  warnings: string[];
  /** A predecessor signature that does not verify: the history was edited. */
  tampered?: string;
}

/**
 * Without out-of-band keys the local history is trusted as it stands; with them (`--vkey`), they
 * anchor the chain: a local key is trusted only when its predecessor is and signed it.
 */
export function trustedKeys(local: readonly KeyEntry[], outOfBand?: readonly KeyEntry[]): TrustedKeys {
  const warnings: string[] = [];
  let tampered = shapeProblem(local);
  for (const [k, e] of local.entries()) {
    const status = chainStatus(e);
    if (status === 'bad-signature')
      tampered ??= `the key history entry of ${e.vkey} (from size ${e.fromSize}) does not carry its predecessor's signature: it was edited`;
    if (status === 'unchained')
      warnings.push(`unchained key from size ${e.fromSize}: ${e.vkey} was not signed by the key before it (the previous key was lost)`);
    // Only chainwatch before key ranges wrote bare lines: one after a ranged entry has neither a range nor a signature.
    if (status === 'legacy' && local.slice(0, k).some((l) => !l.legacy))
      warnings.push(`unchained key ${e.vkey}: a bare key line after ranged entries (no range, no predecessor signature)`);
  }
  if (!outOfBand) return { keys: [...local], warnings, ...(tampered ? { tampered } : {}) };
  const keys = outOfBand.map((e) => {
    const mine = local.findLast((l) => l.vkey === e.vkey);
    return e.legacy && mine ? { ...mine } : { ...e };
  });
  for (const e of local) {
    if (keys.some((k) => k.vkey === e.vkey)) continue;
    if (e.previous && keys.some((k) => k.vkey === e.previous) && chainStatus(e) === 'chained') keys.push({ ...e });
  }
  return { keys, warnings, ...(tampered ? { tampered } : {}) };
}
