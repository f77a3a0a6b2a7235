import { describe, expect, it } from 'vitest';
import { MemoryStateStore, realdata } from '../../core/testing/index.js';
import { artifactEvent, certSigner, CERTS, harness, revokedEvent, within } from './testing/index.js';

/**
 * The policy rules and the revocation rule end to end through the in-memory bus, with signers
 * taken from REAL Fulcio certificates (testing.ts). Per rule: when it fires and when it must not.
 */
const rd = realdata();

const unsigned = { result: 'fail' as const, failures: ['unsigned'], reasons: ['no signature found for the digest'] };

describe('policy findings', () => {
  it('an unsigned push under an enforce policy fires once per (digest, policy, failure), and resolves when a later check passes', async () => {
    const h = await harness();
    const first = artifactEvent({ policies: [{ ...unsigned, authorities: [{ name: 'release-key', satisfied: false, matched: [], reason: 'no signature' }] }] });
    await h.feed(first, first); // redelivery: the same finding id
    const fired = h.findings();
    expect(new Set(fired.map((f) => f.findingId)).size).toBe(1);
    expect(fired[0]).toMatchObject({ rule: 'policy.unsigned', severity: 'high', category: 'security', status: 'firing', causedBy: [first.id] });
    expect(fired[0]!.evidence).toMatchObject({
      policy: 'require-signature',
      mode: 'enforce',
      failure: 'unsigned',
      reasons: ['no signature found for the digest'],
    });
    expect(fired[0]!.description).toContain('authority release-key: no signature');
    await h.feed(artifactEvent({ policies: [{ result: 'pass' }] }));
    const resolved = h.findings().filter((f) => f.status === 'resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ rule: 'policy.unsigned', dedupKey: fired[0]!.dedupKey, category: 'security' });
    await h.feed(artifactEvent({ policies: [{ result: 'pass' }] }));
    expect(h.findings().filter((f) => f.status === 'resolved')).toHaveLength(1); // nothing left to resolve
  });

  it('a re-check of the same digest (a new event) does not repeat what already fires: one finding per condition', async () => {
    const h = await harness();
    const checks = [1, 2, 3].map(() => artifactEvent({ policies: [unsigned] }));
    await h.feed(...checks);
    expect(h.findings().map((f) => [f.rule, f.status, f.causedBy])).toEqual([['policy.unsigned', 'firing', [checks[0]!.id]]]);
    // The same failure in warn mode is another severity: published once more, then quiet again.
    await h.feed(artifactEvent({ policies: [{ ...unsigned, mode: 'warn' }] }), artifactEvent({ policies: [{ ...unsigned, mode: 'warn' }] }));
    expect(h.findings().map((f) => [f.severity, f.status])).toEqual([
      ['high', 'firing'],
      ['low', 'firing'],
    ]);
    // Resolved, then failing again: a new firing finding (a new occurrence of the condition).
    await h.feed(artifactEvent({ policies: [{ result: 'pass' }] }), artifactEvent({ policies: [unsigned] }), artifactEvent({ policies: [unsigned] }));
    expect(h.findings().map((f) => f.status)).toEqual(['firing', 'firing', 'resolved', 'firing']);
    expect(new Set(h.findings().map((f) => f.dedupKey)).size).toBe(1);
  });

  it('warn mode is lower severity; every failure kind is its own rule and alert', async () => {
    const h = await harness();
    await h.feed(
      artifactEvent({
        policies: [
          { policy: 'slsa', mode: 'warn', result: 'fail', failures: ['attestation_missing', 'stage_missing'] },
          { policy: 'signers', result: 'fail', failures: ['signer_not_allowed', 'threshold_not_met'], threshold: { required: 2, satisfied: 1 } },
          {
            policy: 'sbom',
            result: 'fail',
            failures: ['condition_failed', 'something_new'],
            conditions: [{ predicateType: 'https://cyclonedx.org/bom', expression: 'x', result: 'fail', reason: 'GPL' }],
          },
          { policy: 'other', result: 'not_applicable', failures: ['unsigned'] },
        ],
      }),
    );
    const byRule = Object.fromEntries(h.findings().map((f) => [f.rule, f.severity]));
    expect(byRule).toEqual({
      'policy.attestation_missing': 'low',
      'policy.stage_missing': 'low',
      'policy.signer_not_allowed': 'high',
      'policy.threshold_not_met': 'high',
      'policy.condition_failed': 'high',
      'policy.failed': 'high',
    });
    expect(new Set(h.findings().map((f) => f.dedupKey)).size).toBe(6);
  });

  it('discovery errors are one infrastructure finding, never security, and do not resolve policy findings', async () => {
    const h = await harness();
    await h.feed(artifactEvent({ policies: [unsigned] }));
    await h.feed(artifactEvent({ policies: [{ result: 'pass' }], discoveryErrors: [{ code: 'REGISTRY_UNAVAILABLE', message: '503 from ghcr.io' }] }));
    const f = h.findings();
    expect(f.filter((x) => x.status === 'resolved')).toEqual([]);
    const infra = f.filter((x) => x.rule === 'registry.discovery_failed');
    expect(infra).toHaveLength(1);
    expect(infra[0]).toMatchObject({ category: 'infrastructure', severity: 'medium' });
    expect(f.filter((x) => x.category === 'security').map((x) => x.rule)).toEqual(['policy.unsigned']);
    await h.feed(artifactEvent({ policies: [{ result: 'pass' }] }));
    expect(
      h
        .findings()
        .filter((x) => x.status === 'resolved')
        .map((x) => x.rule)
        .sort(),
    ).toEqual(['policy.unsigned', 'registry.discovery_failed']);
  });
});

describe.skipIf(rd.skip)('key.revoked_use (real certificates)', () => {
  const signer = () => certSigner(rd.dir, CERTS.release);

  it('fires critical for a use after the revocation by keyId, never for one before it', async () => {
    const s = signer();
    const h = await harness();
    await h.feed(revokedEvent({ kind: 'key', keyId: s.keyId!, revokedAt: within(s, 120) }));
    await h.feed(artifactEvent({ digest: `sha256:${'1'.repeat(64)}`, signed: [{ signer: s, at: within(s, 60) }] }));
    expect(h.firing('key.revoked_use')).toEqual([]);
    await h.feed(artifactEvent({ digest: `sha256:${'2'.repeat(64)}`, signed: [{ signer: s, at: within(s, 180) }] }));
    const [f, ...rest] = h.firing('key.revoked_use');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'critical', category: 'security', subject: `ghcr.io/acme/app@sha256:${'2'.repeat(64)}` });
    expect(f!.description).toContain(`key:${s.keyId}`);
  });

  it('an identity revocation (issuer + SAN) that arrives late judges the kept history once', async () => {
    const s = signer();
    const h = await harness();
    const before = artifactEvent({ digest: `sha256:${'3'.repeat(64)}`, signed: [{ signer: s, at: within(s, 30) }] });
    const after = artifactEvent({ digest: `sha256:${'4'.repeat(64)}`, signed: [{ signer: s, at: within(s, 300) }] });
    await h.feed(before, after);
    expect(h.firing('key.revoked_use')).toEqual([]);
    const rev = revokedEvent({ kind: 'identity', issuer: s.issuer!, subject: s.san!, revokedAt: within(s, 100) });
    await h.feed(rev, rev);
    const fired = h.firing('key.revoked_use');
    expect(new Set(fired.map((f) => f.findingId)).size).toBe(1);
    expect(fired[0]).toMatchObject({ causedBy: [after.id], subject: `ghcr.io/acme/app@sha256:${'4'.repeat(64)}` });
    // Redelivery of the later use repeats the same finding id, not a second alert.
    await h.feed(after);
    expect(new Set(h.firing('key.revoked_use').map((f) => f.findingId)).size).toBe(1);
  });

  it('re-checks of a digest signed after the revocation give one finding, also when the revocation judged it first', async () => {
    const s = signer();
    const h = await harness();
    const digest = `sha256:${'5'.repeat(64)}`;
    await h.feed(revokedEvent({ kind: 'key', keyId: s.keyId!, revokedAt: within(s, 10) }));
    await h.feed(...[1, 2, 3].map(() => artifactEvent({ digest, signed: [{ signer: s, at: within(s, 20) }] })));
    expect(h.firing('key.revoked_use')).toHaveLength(1);
    // Seen first, revoked later: the history judgement reports it; the next re-check does not repeat it.
    const late = `sha256:${'6'.repeat(64)}`;
    await h.feed(artifactEvent({ digest: late, signed: [{ signer: s, at: within(s, 30) }] }));
    await h.feed(revokedEvent({ kind: 'identity', issuer: s.issuer!, subject: s.san!, revokedAt: within(s, 25) }));
    await h.feed(artifactEvent({ digest: late, signed: [{ signer: s, at: within(s, 30) }] }));
    const onLate = h.firing('key.revoked_use').filter((f) => f.subject.endsWith(late));
    // One per revoked subject (the key was revoked before, the identity now): two conditions, each once.
    expect(onLate.map((f) => f.dedupKey).sort()).toEqual([...new Set(onLate.map((f) => f.dedupKey))].sort());
    expect(onLate).toHaveLength(2);
  });

  it('remembers revocations across a restart (state store)', async () => {
    const s = signer();
    const state = new MemoryStateStore();
    const h1 = await harness({}, state);
    await h1.feed(revokedEvent({ kind: 'key', keyId: s.keyId!, revokedAt: within(s, 0) }));
    await h1.detector.stop();
    const h2 = await harness({}, state);
    expect(h2.detector.revocations()).toHaveLength(1);
    await h2.feed(artifactEvent({ signed: [{ signer: s, at: within(s, 10) }] }));
    expect(h2.firing('key.revoked_use')).toHaveLength(1);
  });

  it('keeps the use history bounded by historyMax per key and identity', async () => {
    const s = signer();
    const state = new MemoryStateStore();
    const h = await harness({ historyMax: 4 }, state);
    for (let i = 0; i < 10; i++) await h.feed(artifactEvent({ digest: `sha256:${String(i).repeat(64)}`, signed: [{ signer: s, at: within(s, i) }] }));
    expect(await state.list('key-misuse:uses:')).toHaveLength(8); // 4 for the keyId, 4 for the identity
    // The newest are kept: a revocation after use 5 still finds uses 6..9.
    await h.feed(revokedEvent({ kind: 'key', keyId: s.keyId!, revokedAt: within(s, 5.5) }));
    expect(h.firing('key.revoked_use')).toHaveLength(4);
  });

  it('unverified signatures are not uses', async () => {
    const s = signer();
    const h = await harness();
    await h.feed(revokedEvent({ kind: 'key', keyId: s.keyId!, revokedAt: within(s, 0) }));
    await h.feed(artifactEvent({ signed: [{ signer: s, at: within(s, 10), verified: false }] }));
    expect(h.findings()).toEqual([]);
  });
});
