import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, keyObjectSigner, type RunbookApproval } from '../../core/index.js';
import { approverOf, judgeApprovals, signApproval } from './approvals.js';

const run = { runId: 'r-1', runbook: 'revoke-key', parameters: { key: 'ab'.repeat(32), reason: 'leaked' } };
const now = new Date('2026-12-01T00:00:00Z');
const later = new Date('2026-12-01T01:00:00Z');

function person(name: string, kind: 'ed25519' | 'P-256' | 'P-384') {
  const pair = kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: kind });
  return { signer: keyObjectSigner(pair.privateKey), approver: approverOf(name, pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()) };
}

describe('approvals', () => {
  const [a, b, c] = [person('alice', 'ed25519'), person('bob', 'P-256'), person('carol', 'P-384')];
  const approvers = [a.approver, b.approver, c.approver];

  it('two valid approvals of three approvers (Ed25519, P-256, P-384) count as two', async () => {
    const v = judgeApprovals(run, [await signApproval(a.signer, run, later), await signApproval(c.signer, run, later)], approvers, now);
    expect(v.accepted.map((x) => x.approver)).toEqual(['alice', 'carol']);
    expect(v.rejected).toEqual([]);
  });

  it('forged, expired, duplicate, unknown approver and other parameters are rejected with codes', async () => {
    const good = await signApproval(a.signer, run, later);
    const forged: RunbookApproval = { ...(await signApproval(c.signer, run, later)), approverKeyId: b.approver.keyId };
    const expired = await signApproval(c.signer, run, new Date(now.getTime() - 1000));
    const outsider = person('mallory', 'ed25519');
    const other = await signApproval(b.signer, { ...run, parameters: { ...run.parameters, key: 'cd'.repeat(32) } }, later);
    const v = judgeApprovals(run, [good, { ...good }, forged, expired, await signApproval(outsider.signer, run, later), other], approvers, now);
    expect(v.accepted.map((x) => x.approver)).toEqual(['alice']);
    expect(v.rejected.map((r) => r.code)).toEqual([
      'APPROVAL_DUPLICATE',
      'APPROVAL_FORGED',
      'APPROVAL_EXPIRED',
      'APPROVAL_UNKNOWN_APPROVER',
      'APPROVAL_MISMATCH',
    ]);
    // An approval of the same parameters with a tampered expiry no longer verifies.
    const stretched = { ...(await signApproval(b.signer, run, later)), expiresAt: '2027-01-01T00:00:00.000Z' };
    expect(judgeApprovals(run, [stretched], approvers, now).rejected.map((r) => r.code)).toEqual(['APPROVAL_FORGED']);
  });

  it("a signature by an approver's key over the same fields without the approval purpose does not count", async () => {
    const expiresAt = later.toISOString();
    const bare = Buffer.from(canonicalJson({ runId: run.runId, runbook: run.runbook, parameters: run.parameters, expiresAt }), 'utf8');
    const sig = await a.signer.sign(bare);
    const lifted: RunbookApproval = { ...run, expiresAt, approverKeyId: a.approver.keyId, signature: sig.toString('base64') };
    expect(judgeApprovals(run, [lifted], approvers, now).rejected.map((r) => r.code)).toEqual(['APPROVAL_FORGED']);
  });
});
