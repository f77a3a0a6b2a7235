import { inclusionProof, leafHashUtf8, parseVerifierKey, verifyInclusion } from '../../core/tlog/index.js';
import { canonicalJson } from '../../core/index.js';
import { openAuditCheckpoint } from './checkpoint.js';
import { AuditError } from './errors.js';
import type { AuditRecord, AuditStore } from './port.js';

/**
 * A record with everything a third party needs to check it is in the audit tree, without
 * trusting chainwatch: the record (its canonical JSON is the leaf), the RFC 9162 inclusion proof,
 * and the signed checkpoint it leads to. Verify with verifyRecordProof() or any RFC 6962
 * verifier plus a C2SP note verifier, given only the published verifier key.
 */
export interface RecordProof {
  format: 'chainwatch.audit.proof/v1';
  record: AuditRecord;
  /** Hex SHA-256(0x00 || canonicalJson(record)). */
  leafHash: string;
  index: number;
  /** Absent while no checkpoint covers the record yet (it is newer than the latest checkpoint). */
  treeSize?: number;
  inclusionProof?: string[];
  checkpoint?: string;
}

/**
 * A record by position, or by id (record, event, finding or operator action id: "1" is an id,
 * never a position), with its proof. Only positions inside [0, size) are part of the log.
 */
export async function getRecordWithProof(store: AuditStore, ref: { index: number } | { id: string }): Promise<RecordProof | undefined> {
  if ('index' in ref && !(Number.isSafeInteger(ref.index) && ref.index >= 0)) return undefined;
  const record = await store.get(ref);
  if (!record || record.index < 0 || record.index >= (await store.size())) return undefined;
  const out: RecordProof = {
    format: 'chainwatch.audit.proof/v1',
    record,
    leafHash: leafHashUtf8(canonicalJson(record)).toString('hex'),
    index: record.index,
  };
  const cps = await store.listCheckpoints();
  const cp = cps[cps.length - 1];
  if (!cp || cp.size <= record.index) return out;
  const proof = await inclusionProof(record.index, cp.size, (ids) => store.nodes(ids));
  return { ...out, treeSize: cp.size, inclusionProof: proof.map((h) => h.toString('hex')), checkpoint: cp.note };
}

/** Public audit URL of a record, for alert links. */
export function auditRecordUrl(publicUrl: string, id: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/audit/records/${encodeURIComponent(id)}`;
}

/**
 * What an auditor runs: recompute the leaf from the record, check the checkpoint signature with
 * the published verifier key, and the inclusion proof against the checkpoint root.
 * Throws TlogError (NOTE_*, CHECKPOINT_*, TLOG_INCLUSION_*) or AuditError.
 */
export function verifyRecordProof(p: RecordProof, vkey: string): { treeSize: number; rootHash: string } {
  if (!p.checkpoint || p.inclusionProof === undefined || p.treeSize === undefined) {
    throw new AuditError('AUDIT_NO_CHECKPOINT', `record ${p.index} is not covered by a checkpoint yet`);
  }
  const cp = openAuditCheckpoint(p.checkpoint, parseVerifierKey(vkey));
  if (cp.size !== p.treeSize) throw new AuditError('AUDIT_RECORD_INVALID', 'proof tree size differs from the checkpoint size');
  if (p.record.index !== p.index) throw new AuditError('AUDIT_RECORD_INVALID', 'record index differs from the proof index');
  const leaf = leafHashUtf8(canonicalJson(p.record));
  verifyInclusion(
    leaf,
    p.index,
    cp.size,
    p.inclusionProof.map((h) => Buffer.from(h, 'hex')),
    cp.rootHash,
  );
  return { treeSize: cp.size, rootHash: cp.rootHash.toString('hex') };
}
