import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { canonicalJson, ChainwatchError, type RunbookApproval, type Signer, spkiKeyId } from '../../core/index.js';

/**
 * M-of-N approvals. An approval is the approver's own signature over the canonical JSON (RFC 8785)
 * of {purpose, runId, runbook, parameters, expiresAt}: it approves exactly this run with exactly these
 * parameters, until expiresAt. It approves the run as a whole: every require-approvals step of the
 * run counts it (a runbook that needs separate sign-offs for separate steps is two runbooks). Approvers are known by public key (keys.runbooks.approvers).
 */
export type ApprovalErrorCode =
  'APPROVAL_FORGED' | 'APPROVAL_EXPIRED' | 'APPROVAL_DUPLICATE' | 'APPROVAL_UNKNOWN_APPROVER' | 'APPROVAL_MISMATCH' | 'APPROVALS_INSUFFICIENT';
export class ApprovalError extends ChainwatchError<ApprovalErrorCode> {}

export interface Approver {
  name: string;
  keyId: string;
  publicKey: KeyObject;
}

export function approverOf(name: string, pem: string): Approver {
  const publicKey = createPublicKey(pem);
  return { name, keyId: spkiKeyId(publicKey), publicKey };
}

export interface ApprovedRun {
  runId: string;
  runbook: string;
  parameters: Record<string, string>;
}

/**
 * What an approval's signature is for. Signed with the payload so that an approver's signature over
 * some other canonical JSON (another tool, another chainwatch message) can never pass as an approval.
 */
const APPROVAL_PURPOSE = 'chainwatch.runbook.approval.v1';

/** The bytes an approver signs. */
export function approvalPayload(run: ApprovedRun, expiresAt: string): Buffer {
  return Buffer.from(canonicalJson({ purpose: APPROVAL_PURPOSE, runId: run.runId, runbook: run.runbook, parameters: run.parameters, expiresAt }), 'utf8');
}

/** Signs an approval with the approver's key (a file or a PKCS#11 token: any Signer). */
export async function signApproval(signer: Signer, run: ApprovedRun, expiresAt: Date): Promise<RunbookApproval> {
  const at = expiresAt.toISOString();
  const sig = await signer.sign(approvalPayload(run, at));
  return { runId: run.runId, runbook: run.runbook, parameters: run.parameters, expiresAt: at, approverKeyId: signer.keyId, signature: sig.toString('base64') };
}

export interface Verdict {
  accepted: { approver: string; keyId: string; expiresAt: string }[];
  rejected: { keyId: string; code: ApprovalErrorCode; message: string }[];
}

/**
 * Judges a run's approvals at `now`: each one counts once per approver, only when it is signed by
 * an allowed approver's key, over this run, and not expired. Rejections keep their codes.
 */
export function judgeApprovals(run: ApprovedRun, approvals: readonly RunbookApproval[], approvers: readonly Approver[], now: Date): Verdict {
  const out: Verdict = { accepted: [], rejected: [] };
  const seen = new Set<string>();
  const reject = (a: RunbookApproval, code: ApprovalErrorCode, message: string) => out.rejected.push({ keyId: a.approverKeyId, code, message });
  for (const a of approvals) {
    const approver = approvers.find((x) => x.keyId === a.approverKeyId);
    if (!approver) {
      reject(a, 'APPROVAL_UNKNOWN_APPROVER', `key ${a.approverKeyId.slice(0, 16)} is not an approver of this step`);
      continue;
    }
    // The approval must name this run exactly (the event's copy is what the approver saw).
    if (a.runId !== run.runId || a.runbook !== run.runbook || canonicalJson(a.parameters) !== canonicalJson(run.parameters)) {
      reject(a, 'APPROVAL_MISMATCH', `${approver.name} approved other parameters or another run`);
      continue;
    }
    let ok: boolean;
    try {
      ok = verify(digestOf(approver.publicKey), approvalPayload(run, a.expiresAt), approver.publicKey, Buffer.from(a.signature, 'base64'));
    } catch {
      ok = false; // malformed signature bytes: as good as forged
    }
    if (!ok) {
      reject(a, 'APPROVAL_FORGED', `the signature is not ${approver.name}'s over this run`);
      continue;
    }
    if (Date.parse(a.expiresAt) <= now.getTime()) {
      reject(a, 'APPROVAL_EXPIRED', `${approver.name}'s approval expired at ${a.expiresAt}`);
      continue;
    }
    if (seen.has(approver.keyId)) {
      reject(a, 'APPROVAL_DUPLICATE', `${approver.name} already approved: one approval per approver`);
      continue;
    }
    seen.add(approver.keyId);
    out.accepted.push({ approver: approver.name, keyId: approver.keyId, expiresAt: a.expiresAt });
  }
  return out;
}

/** The hash a Signer of this key uses (core/ports/signer.ts): none for Ed25519, SHA-384 for P-384, else SHA-256. */
function digestOf(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519') return null;
  return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256';
}
