import { verify as cryptoVerify } from 'node:crypto';
import { CanonicalJsonError, canonicalJson, type RekorEntry } from '../../core/index.js';
import { TlogError, leafHash, rootFromInclusionProof } from '../../core/tlog/index.js';
import type { LogKey } from '../../trust/index.js';
import { parseBody } from './body.js';
import { RekorError } from './errors.js';
import { hexBytes, type V1LogEntry } from './v1-client.js';

/**
 * Verification of one Rekor v1 entry, as a checklist:
 *   1. the body decodes (base64 → JSON with a kind)          REKOR_ENTRY_MALFORMED
 *   2. it is the entry we asked for (logIndex, UUID = leaf)   REKOR_ENTRY_MISMATCH
 *   3. its inclusion proof leads to a VERIFIED root           TLOG_INCLUSION_* / REKOR_ENTRY_MALFORMED
 *   4. its SET verifies with the log key                      REKOR_SET_INVALID / REKOR_SET_MISSING
 *   5. identity + digests are extracted (never fails)
 * A body that is valid but not RFC 8785 canonical is still included in the log: it is returned
 * with a REKOR_ENTRY_NOT_CANONICAL warning that the collector reports as an anomaly.
 */
export interface V1VerifyContext {
  key: LogKey;
  shardOffset: number;
  verifySet: boolean;
  log: { origin: string; url: string };
  /** Root of the given tree size, when that tree head has been verified (signature + consistency). */
  verifiedRoot(size: number): Buffer | undefined;
}

export interface VerifiedEntry {
  data: RekorEntry;
  warnings: RekorError[];
}

export function verifyV1Entry(e: V1LogEntry, expectedIndex: number, ctx: V1VerifyContext): VerifiedEntry {
  // 1. body
  const { parsed, bytes, text, json } = parseBody(e.body);
  const warnings: RekorError[] = [];
  if (!isCanonical(json, text)) warnings.push(new RekorError('REKOR_ENTRY_NOT_CANONICAL', `entry ${expectedIndex}: body is not canonical JSON`));

  // 2. identity of the entry
  if (e.logIndex !== expectedIndex) {
    throw new RekorError('REKOR_ENTRY_MISMATCH', `asked for log index ${expectedIndex}, got ${e.logIndex}`);
  }
  const leaf = leafHash(bytes);
  // UUID = [16 hex tree ID] + 64 hex leaf hash.
  if ((e.uuid.length !== 64 && e.uuid.length !== 80) || e.uuid.slice(-64).toLowerCase() !== leaf.toString('hex')) {
    throw new RekorError('REKOR_ENTRY_MISMATCH', `entry ${expectedIndex}: UUID does not match the body's leaf hash`);
  }

  // 3. inclusion against a verified tree head
  const proof = e.verification?.inclusionProof;
  if (!proof) throw new RekorError('REKOR_ENTRY_MALFORMED', `entry ${expectedIndex} carries no inclusion proof`);
  const treeIndex = proof.logIndex;
  if (treeIndex !== e.logIndex - ctx.shardOffset) {
    throw new RekorError('REKOR_ENTRY_MISMATCH', `entry ${expectedIndex}: tree index ${treeIndex} does not match the shard offset`);
  }
  const trusted = ctx.verifiedRoot(proof.treeSize);
  if (!trusted) throw new TlogError('TLOG_ROOT_MISMATCH', `entry ${expectedIndex}: tree size ${proof.treeSize} has no verified root`);
  const hashes = proof.hashes.map((h) => hexBytes(h, 'inclusion proof hash'));
  const calc = rootFromInclusionProof(leaf, treeIndex, proof.treeSize, hashes);
  if (!calc.equals(trusted) || !calc.equals(hexBytes(proof.rootHash, 'root hash'))) {
    throw new TlogError('TLOG_INCLUSION_MISMATCH', `entry ${expectedIndex}: inclusion proof does not lead to the verified root of size ${proof.treeSize}`);
  }

  // 4. SET
  let set: boolean | null = null;
  if (ctx.verifySet) {
    verifySet(e, ctx.key, true);
    set = true;
  }

  // 5. identity
  const when = new Date(e.integratedTime * 1000);
  if (Number.isNaN(when.getTime())) throw new RekorError('REKOR_ENTRY_MALFORMED', `entry ${expectedIndex}: integratedTime is out of range`);
  const integratedTime = when.toISOString();
  return {
    warnings,
    data: {
      log: { origin: ctx.log.origin, url: ctx.log.url, logId: e.logID },
      uuid: e.uuid,
      logIndex: e.logIndex,
      treeIndex,
      integratedTime,
      kind: parsed.kind,
      ...(parsed.apiVersion ? { apiVersion: parsed.apiVersion } : {}),
      body: parsed.body,
      artifact: { digests: parsed.digests },
      signers: parsed.signers,
      verification: { inclusion: true, set, checkpoint: { size: proof.treeSize, rootHash: trusted.toString('base64') } },
    },
  };
}

/** SET = ECDSA(log key) over canonical JSON {body, integratedTime, logID, logIndex}. */
export function verifySet(
  e: Pick<V1LogEntry, 'body' | 'integratedTime' | 'logID' | 'logIndex' | 'verification'>,
  key: LogKey,
  /** The caller already checked that body is canonical base64 (parseBody). */
  bodyIsBase64 = false,
): void {
  const setB64 = e.verification?.signedEntryTimestamp;
  if (!setB64) throw new RekorError('REKOR_SET_MISSING', `entry ${e.logIndex} has no signedEntryTimestamp`);
  // canonicalJson({body, integratedTime, logID, logIndex}) spelled out (hot path): keys are in
  // sorted order, and body is plain base64 (checked) so it needs no escaping, nor does hex logID.
  let payload: Buffer;
  try {
    payload =
      (bodyIsBase64 || /^[A-Za-z0-9+/=]*$/.test(e.body)) && /^[0-9a-f]*$/.test(e.logID)
        ? setPayload(e.body, e.integratedTime, e.logID, e.logIndex)
        : Buffer.from(canonicalJson({ body: e.body, integratedTime: e.integratedTime, logID: e.logID, logIndex: e.logIndex }));
  } catch (err) {
    // A value canonical JSON cannot hold (a lone surrogate): no SET can cover it.
    if (!(err instanceof CanonicalJsonError)) throw err;
    throw new RekorError('REKOR_SET_INVALID', `entry ${e.logIndex}: no canonical form to check the signedEntryTimestamp against`, err);
  }
  let ok: boolean;
  try {
    ok = cryptoVerify(key.algorithm === 'ed25519' ? null : 'sha256', payload, key.key, Buffer.from(setB64, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw new RekorError('REKOR_SET_INVALID', `entry ${e.logIndex}: signedEntryTimestamp does not verify with the log key`);
}

/**
 * `{"body":"<body>","integratedTime":<t>,"logID":"<id>","logIndex":<i>}` (the canonical JSON when
 * body is base64 and logID hex: nothing to escape, keys in sorted order) written into a reused
 * buffer: no 3 KB template string plus a copy per entry. Valid until the next call; the caller
 * only hands it to the synchronous crypto.verify. Bodies over 64 KiB get a buffer of their own.
 */
const SET_SCRATCH_MAX = 64 * 1024;
let setScratch = Buffer.alloc(8 * 1024);
function setPayload(body: string, integratedTime: number, logID: string, logIndex: number): Buffer {
  const tail = `","integratedTime":${integratedTime},"logID":"${logID}","logIndex":${logIndex}}`;
  const need = 9 + body.length + tail.length;
  let buf = setScratch;
  if (need > buf.length) {
    buf = Buffer.alloc(need);
    if (need <= SET_SCRATCH_MAX) setScratch = buf;
  }
  let n = buf.write('{"body":"', 0, 'latin1');
  n += buf.write(body, n, 'latin1');
  n += buf.write(tail, n, 'latin1');
  return buf.subarray(0, n);
}

/**
 * Equivalent to canonicalJson(json) === text, without re-serialising key by key: V8's
 * JSON.stringify already emits RFC 8785 numbers and strings in parse (insertion) order, so the
 * text is canonical iff it round-trips byte for byte and every object's keys are sorted.
 */
function isCanonical(json: unknown, text: string): boolean {
  return keysSorted(json) && JSON.stringify(json) === text;
}
function keysSorted(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!keysSorted(v[i])) return false;
    return true;
  }
  const o = v as Record<string, unknown>;
  let prev: string | undefined;
  for (const k in o) {
    // JSON.parse objects have only own, enumerable, string keys (for-in order = Object.keys order,
    // integer-like keys first, which then fail the sort check unless they truly sort first).
    if (prev !== undefined && prev >= k) return false;
    prev = k;
    if (!keysSorted(o[k])) return false;
  }
  return true;
}
