import { describe, expect, it } from 'vitest';
import { realdata } from '../../core/testing/index.js';
import { artifactEvent, certSigner, CERTS, harness, rekorEvent, revokedEvent, within } from './testing/index.js';

/**
 * key.* rules other than revocation, each firing and NOT firing for the legitimate case (a
 * release: a tag ref from the release workflow), with signers from REAL Fulcio certificates.
 */
const rd = realdata();
const D = (c: string) => `sha256:${c.repeat(64)}`;

describe.skipIf(rd.skip)('key-misuse rules (real certificates)', () => {
  const release = () => certSigner(rd.dir, CERTS.release);
  const branch = () => certSigner(rd.dir, CERTS.branch);
  const person = () => certSigner(rd.dir, CERTS.person);

  it('key.cert_validity: a tlog time outside the certificate validity fires; inside does not', async () => {
    const h = await harness();
    const future = certSigner(rd.dir, CERTS.future);
    await h.feed(artifactEvent({ digest: D('1'), signed: [{ signer: future, at: '2026-01-01T00:00:00.000Z' }] }));
    await h.feed(artifactEvent({ digest: D('2'), signed: [{ signer: release(), at: within(release()) }] }));
    const f = h.firing('key.cert_validity');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ subject: `ghcr.io/acme/app@${D('1')}`, severity: 'high' });
    expect(f[0]!.evidence).toMatchObject({ notBefore: '2030-01-01T00:00:00.000Z', outside: ['2026-01-01T00:00:00.000Z'] });
  });

  it('key.unexpected_issuer: a Google login fires when only GitHub Actions is expected; the CI identity does not', async () => {
    const h = await harness({ expectedIssuers: ['https://token.actions.githubusercontent.com'] });
    await h.feed(artifactEvent({ digest: D('1'), signed: [{ signer: person(), at: within(person()) }] }));
    await h.feed(artifactEvent({ digest: D('2'), signed: [{ signer: release(), at: within(release()) }] }));
    const f = h.firing('key.unexpected_issuer');
    expect(f).toHaveLength(1);
    expect(f[0]!.evidence).toMatchObject({ issuer: 'https://accounts.google.com', san: 'thomas@python.org' });
  });

  it('key.outside_ci: a person or a wrong trigger fires with the reasons in words; the release build does not', async () => {
    const h = await harness({
      ciRequirements: [
        { name: 'python-releases', identities: ['thomas@python.org'] },
        { name: 'conformance', repositories: ['github.com/sigstore-conformance/*'], triggers: ['push'] },
        {
          name: 'nes',
          repositories: ['github.com/neverendingsupport/*'],
          triggers: ['push'],
          workflowRefs: ['neverendingsupport/slsa-attestations/.github/workflows/attest.yml@*'],
        },
      ],
    });
    await h.feed(artifactEvent({ digest: D('1'), signed: [{ signer: person(), at: within(person()) }] }));
    await h.feed(artifactEvent({ digest: D('2'), signed: [{ signer: branch(), at: within(branch()) }] }));
    await h.feed(artifactEvent({ digest: D('3'), signed: [{ signer: release(), at: within(release()) }] }));
    const f = h.firing('key.outside_ci');
    expect(f.map((x) => (x.evidence as { requirement: { name: string } }).requirement.name).sort()).toEqual(['conformance', 'python-releases']);
    const py = f.find((x) => x.subject.endsWith(D('1')))!;
    expect(py.evidence).toMatchObject({ problems: [expect.stringContaining('accounts.google.com'), expect.stringContaining('runner environment')] });
    const conf = f.find((x) => x.subject.endsWith(D('2')))!;
    expect(conf.evidence).toMatchObject({ problems: [expect.stringContaining('workflow_dispatch')] });
  });

  it('key.cross_repository: a branch identity signing an unrelated repository fires and says why; related or released repositories do not', async () => {
    const h = await harness({ relatedRepositories: [['ghcr.io/acme/*']] });
    const b = branch();
    await h.feed(artifactEvent({ repository: 'acme/app', digest: D('1'), signed: [{ signer: b, at: within(b, 10) }] }));
    await h.feed(artifactEvent({ repository: 'acme/lib', digest: D('2'), signed: [{ signer: b, at: within(b, 20) }] }));
    expect(h.firing('key.cross_repository')).toEqual([]);
    await h.feed(artifactEvent({ repository: 'other/tool', digest: D('3'), signed: [{ signer: b, at: within(b, 30) }] }));
    const [f, ...rest] = h.firing('key.cross_repository');
    expect(rest).toEqual([]);
    expect(f!.description).toContain('never signed for ghcr.io/other/tool before');
    expect(f!.description).toContain('no release of ghcr.io/other/tool');
    expect(f!.description).toContain('the workflow ref is a branch or other ref (refs/heads/main), not a tag');
    // The release workflow on a tag signing a new repository is expected.
    const r = release();
    await h.feed(artifactEvent({ repository: 'acme/app', digest: D('4'), signed: [{ signer: r, at: within(r, 10) }] }));
    await h.feed(artifactEvent({ repository: 'third/party', digest: D('5'), signed: [{ signer: r, at: within(r, 20) }] }));
    expect(h.firing('key.cross_repository')).toHaveLength(1);
  });

  it('key.resign_new_identity: a new identity re-signing a digest fires without a release, not within one', async () => {
    const h = await harness();
    const b = branch();
    const p = person();
    await h.feed(artifactEvent({ digest: D('1'), signed: [{ signer: b, at: within(b) }] }));
    await h.feed(artifactEvent({ digest: D('1'), signed: [{ signer: b, at: within(b) }] })); // the same signer again: nothing
    expect(h.firing('key.resign_new_identity')).toEqual([]);
    await h.feed(artifactEvent({ digest: D('1'), signed: [{ signer: p, at: within(p) }] }));
    const [f, ...rest] = h.firing('key.resign_new_identity');
    expect(rest).toEqual([]);
    expect(f!.description).toContain('the signer carries no CI workflow claims');
    // Re-signing by the release workflow on a tag is what a release does.
    const r = release();
    await h.feed(artifactEvent({ digest: D('1'), signed: [{ signer: r, at: within(r) }] }));
    expect(h.firing('key.resign_new_identity')).toHaveLength(1);
  });

  it("key.resign_new_identity: a co-signer the digest's policy allows (the second of a 2-of-3) does not fire; one it does not allow does", async () => {
    const h = await harness();
    const b = branch();
    const p = person();
    // A plain key (cosign --key): no claims, no release to excuse it.
    const f = { kind: 'publicKey' as const, keyId: 'f'.repeat(64), fingerprintSha256: 'f'.repeat(64), extensions: {} };
    const ref = D('c');
    const twoOfThree = (signers: { ci?: string; maintainer?: string }) => ({
      policy: 'two-of-three',
      threshold: { required: 2, satisfied: Object.keys(signers).length },
      result: Object.keys(signers).length >= 2 ? ('pass' as const) : ('fail' as const),
      failures: Object.keys(signers).length >= 2 ? [] : ['threshold_not_met'],
      authorities: [
        { name: 'ci', satisfied: signers.ci !== undefined, matched: signers.ci ? [ref] : [], signers: signers.ci ? [signers.ci] : [], reason: 'x' },
        {
          name: 'maintainer',
          satisfied: signers.maintainer !== undefined,
          matched: signers.maintainer ? [ref] : [],
          ...(signers.maintainer ? { signers: [signers.maintainer] } : {}),
          reason: 'x',
        },
        { name: 'ops', satisfied: false, matched: [], reason: 'x' },
      ],
    });
    await h.feed(artifactEvent({ digest: D('5'), signed: [{ signer: b, at: within(b) }], policies: [twoOfThree({ ci: b.keyId! })] }));
    const both = [
      { signer: b, at: within(b) },
      { signer: p, at: within(p) },
    ];
    await h.feed(artifactEvent({ digest: D('5'), signed: both, policies: [twoOfThree({ ci: b.keyId!, maintainer: p.keyId! })] }));
    expect(h.firing('key.resign_new_identity')).toEqual([]);
    // A third signer no authority accepted (the policy passes on the other two): unexpected, it pages once.
    const three = [...both, { signer: f, at: within(p) }];
    await h.feed(...[1, 2].map(() => artifactEvent({ digest: D('5'), signed: three, policies: [twoOfThree({ ci: b.keyId!, maintainer: p.keyId! })] })));
    const fired = h.firing('key.resign_new_identity');
    expect(fired).toHaveLength(1);
    expect(fired[0]!.evidence).toMatchObject({ signer: { keyId: f.keyId } });
  });

  it('a release seen shortly before makes a new identity on that repository expected (releaseWindow)', async () => {
    const h = await harness({ relatedRepositories: [['github.com/neverendingsupport/*', 'ghcr.io/acme/app']] });
    const r = release();
    const p = person();
    await h.feed(artifactEvent({ digest: D('7'), signed: [{ signer: r, at: within(r) }] }));
    // Certificate lifetimes are minutes apart in years; a configured window covers the person's signature.
    await h.feed(artifactEvent({ digest: D('7'), signed: [{ signer: p, at: within(p) }] }));
    expect(h.firing('key.resign_new_identity')).toHaveLength(1);
    const h2 = await harness({ releaseWindows: [{ repositories: ['ghcr.io/acme/*'], from: '2024-08-06T00:00:00Z', to: '2024-08-07T00:00:00Z' }] });
    await h2.feed(artifactEvent({ digest: D('7'), signed: [{ signer: r, at: within(r) }] }));
    await h2.feed(artifactEvent({ digest: D('7'), signed: [{ signer: p, at: within(p) }] }));
    expect(h2.firing('key.resign_new_identity')).toEqual([]);
    // A release window long enough to reach from the release (2026) back to the person (2024).
    const h3 = await harness({ releaseWindow: '1000d', relatedRepositories: [['github.com/neverendingsupport/*', 'ghcr.io/acme/app']] });
    await h3.feed(artifactEvent({ digest: D('7'), signed: [{ signer: r, at: within(r) }] }));
    await h3.feed(artifactEvent({ digest: D('7'), signed: [{ signer: p, at: within(p) }] }));
    expect(h3.firing('key.resign_new_identity')).toEqual([]);
  });

  it('verified Rekor entries are uses too: a revoked identity logging a signature fires', async () => {
    const h = await harness();
    const b = branch();
    await h.feed(revokedEvent({ kind: 'identity', issuer: b.issuer!, subject: b.san!, revokedAt: within(b, 0) }));
    await h.feed(rekorEvent(b, within(b, 5), D('9')));
    const [f, ...rest] = h.firing('key.revoked_use');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ subject: D('9'), severity: 'critical' });
  });

  it('key.revoked_use: a log time in the same whole second as the revocation counts as after it, the second before does not; TSA times compare to the millisecond', async () => {
    const h = await harness();
    const b = branch();
    // Rekor's integratedTime has whole seconds; the revocation has milliseconds.
    const second = Math.floor(Date.parse(within(b, 5)) / 1000) * 1000;
    await h.feed(revokedEvent({ kind: 'identity', issuer: b.issuer!, subject: b.san!, revokedAt: new Date(second + 700).toISOString() }));
    await h.feed(rekorEvent(b, new Date(second).toISOString(), D('a')));
    await h.feed(rekorEvent(b, new Date(second - 1000).toISOString(), D('b')));
    expect(h.firing('key.revoked_use').map((f) => f.subject)).toEqual([D('a')]);
    // A TSA time has milliseconds: 300 ms before the revocation is before it, 300 ms after is after.
    await h.feed(artifactEvent({ digest: D('c'), signed: [{ signer: b, at: new Date(second).toISOString(), tsa: new Date(second + 400).toISOString() }] }));
    await h.feed(
      artifactEvent({ digest: D('d'), signed: [{ signer: b, at: new Date(second + 1000).toISOString(), tsa: new Date(second + 1000).toISOString() }] }),
    );
    expect(h.firing('key.revoked_use').map((f) => f.subject)).toEqual([D('a'), `ghcr.io/acme/app@${D('d')}`]);
  });
});
