import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CloudEvent,
  ConfigError,
  type ComponentContext,
  type Finding,
  makeEvent,
  noopMetrics,
  RekorEntryEvent,
  type SignerIdentity,
  silentLogger,
  topicFor,
} from '../../core/index.js';
import { MemoryKeyProvider, MemoryStateStore, realdata } from '../../core/testing/index.js';
import { PolicyError } from '../../rules/identity/index.js';
import { MemoryBus } from '../../core/testing/index.js';
import { signerFromPem } from '../../trust/index.js';
import { createIdentityWatchDetector } from './index.js';

/**
 * End to end through the in-memory bus: a rekor.entry event built from a REAL Sigstore bundle
 * (log index, integrated time, inclusion checkpoint, artifact digest) and its REAL Fulcio
 * certificate goes in; findings come out on the findings topic.
 */
const rd = realdata();
const EXAMPLES = join(import.meta.dirname, '..', '..', 'rules', 'examples');

interface Bundle {
  messageSignature?: { messageDigest: { digest: string } };
  dsseEnvelope?: { payload: string };
  verificationMaterial: {
    tlogEntries: {
      logIndex: string;
      integratedTime: string;
      kindVersion: { kind: string };
      canonicalizedBody: string;
      inclusionProof: { logIndex: string; treeSize: string; rootHash: string };
    }[];
  };
}

function entryEvent(bundleFile: string, signer: SignerIdentity, opts: { url?: string; id?: string } = {}): CloudEvent {
  const b = JSON.parse(readFileSync(join(rd.dir, bundleFile), 'utf8')) as Bundle;
  const t = b.verificationMaterial.tlogEntries[0]!;
  const digest = b.messageSignature
    ? Buffer.from(b.messageSignature.messageDigest.digest, 'base64').toString('hex')
    : (JSON.parse(Buffer.from(b.dsseEnvelope!.payload, 'base64').toString('utf8')) as { subject: { digest: { sha256: string } }[] }).subject[0]!.digest.sha256;
  // Entry UUID = RFC 6962 leaf hash of the canonical body, as Rekor computes it.
  const uuid = createHash('sha256')
    .update(Buffer.concat([Buffer.from([0]), Buffer.from(t.canonicalizedBody, 'base64')]))
    .digest('hex');
  return makeEvent({
    type: RekorEntryEvent.type,
    source: 'chainwatch://collectors/rekor',
    subject: `sha256:${digest}`,
    ...(opts.id ? { id: opts.id } : {}),
    time: new Date(Number(t.integratedTime) * 1000 + 60_000),
    data: {
      log: { origin: 'rekor.sigstore.dev - 1193050959916656506', url: opts.url ?? 'https://rekor.sigstore.dev' },
      uuid,
      logIndex: Number(t.logIndex),
      treeIndex: Number(t.inclusionProof.logIndex),
      integratedTime: new Date(Number(t.integratedTime) * 1000).toISOString(),
      kind: t.kindVersion.kind,
      body: {},
      artifact: { digests: [{ algorithm: 'sha256', value: digest }] },
      signers: [signer],
      verification: { inclusion: true, set: true, checkpoint: { size: Number(t.inclusionProof.treeSize), rootHash: t.inclusionProof.rootHash } },
    },
  });
}

async function harness(config: Record<string, unknown>) {
  const bus = new MemoryBus();
  const ctx: ComponentContext = {
    bus,
    state: new MemoryStateStore(),
    logger: silentLogger,
    metrics: noopMetrics,
    dataDir: '/nonexistent',
    keys: new MemoryKeyProvider(),
    fail: (e) => {
      throw e;
    },
    now: () => new Date(),
  };
  const detector = createIdentityWatchDetector(config, ctx);
  await detector.start();
  const feed = async (...evs: CloudEvent[]) => {
    for (const e of evs) await bus.publish(e);
    await bus.drain();
  };
  return {
    bus,
    detector,
    feed,
    findings: () => bus.events(topicFor('findings')).map((e) => e.data as Finding),
    dead: () => bus.events(`${topicFor('rekor')}.dlq`),
  };
}

const PY_BUNDLE = 'sigstore/sigstore-python/integration/Python-3.12.5.tgz.sigstore';
const SLSA_BUNDLE = 'slsa/slsa-verifier/gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl';
/** The signer the Rekor collector publishes for a real Fulcio certificate (trust's own extraction). */
const cert = (f: string) => signerFromPem(readFileSync(join(rd.dir, 'x509/fulcio', f), 'utf8'));

describe.skipIf(rd.skip)('identity-watch end to end (real bundles and certificates)', () => {
  it('a legitimate release produces no finding (onExpected: ignore)', async () => {
    const h = await harness({ policyFile: join(EXAMPLES, 'maintainer-emails.yaml') });
    await h.feed(entryEvent(PY_BUNDLE, cert('python-3.12.5-release.pem')));
    expect(h.findings()).toEqual([]);
    expect(h.dead()).toEqual([]);
    await h.detector.stop();
  });

  it('the same identity through another OIDC provider is a critical finding with full evidence', async () => {
    const h = await harness({ policyFile: join(EXAMPLES, 'maintainer-emails.yaml') });
    // The real CPython release certificate, as if the address had been used through GitHub login.
    const rogue = { ...cert('python-3.12.5-release.pem'), issuer: 'https://github.com/login/oauth' };
    const ev = entryEvent(PY_BUNDLE, rogue);
    await h.feed(ev);
    const [f, ...rest] = h.findings();
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      rule: 'identity.unexpected_signer',
      detector: 'identity-watch',
      severity: 'critical',
      category: 'security',
      status: 'firing',
      causedBy: [ev.id],
    });
    expect(f!.dedupKey).toMatch(/^identity\.unexpected_signer\|python-release-managers\|[0-9a-f]{16}$/);
    expect(f!.subject).toBe(`sha256:${(ev.data as { artifact: { digests: { value: string }[] } }).artifact.digests[0]!.value}`);
    expect(f!.evidence).toMatchObject({
      san: 'thomas@python.org',
      issuer: 'https://github.com/login/oauth',
      log: { logIndex: 118981923, url: 'https://rekor.sigstore.dev' },
      refusals: [{ expected: 'Google account', failed: ['issuers'] }],
    });
    expect(f!.links[0]).toEqual({ title: 'log entry', url: 'https://search.sigstore.dev/?logIndex=118981923' });
    await h.detector.stop();
  });

  it('SLSA provenance from the allowed generator is recorded as info (onExpected: record)', async () => {
    const h = await harness({ policyFile: join(EXAMPLES, 'reusable-workflow.yaml') });
    const ev = entryEvent(SLSA_BUNDLE, cert('slsa-gha-generic-v2.1.0.pem'));
    await h.feed(ev);
    const [f] = h.findings();
    const uuid = (ev.data as { uuid: string }).uuid;
    expect(f).toMatchObject({
      rule: 'identity.expected_signer',
      severity: 'info',
      category: 'security',
      status: 'firing',
      dedupKey: `identity.expected_signer|example-package-slsa|${uuid}`,
    });
    expect(f!.evidence).toMatchObject({
      allowedBy: 'slsa generator v2.1.0 from main',
      workflow: { sourceRepository: 'github.com/slsa-framework/example-package', trigger: 'workflow_dispatch' },
    });
    expect(f!.links.map((l) => l.title)).toEqual(['log entry', 'workflow run']);
    await h.detector.stop();
  });

  it('a tag-release policy pages on a branch build; a private log links to its own URL', async () => {
    const policy = {
      version: 1,
      watches: [
        {
          name: 'beacon',
          severity: 'high',
          match: { repositories: ['github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon'] },
          expected: [
            {
              name: 'tagged release',
              workflowRefs: ['.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/tags/v*'],
              refs: ['refs/tags/v*'],
              triggers: ['push'],
            },
          ],
        },
      ],
    };
    const h = await harness({ policy });
    await h.feed(entryEvent(PY_BUNDLE, cert('conformance-happy-path-v0.3.pem'), { url: 'https://rekor.internal.example' }));
    const [f] = h.findings();
    expect(f).toMatchObject({ rule: 'identity.unexpected_signer', severity: 'high' });
    expect(f!.links[0]).toEqual({ title: 'log entry', url: 'https://rekor.internal.example' });
    expect(f!.evidence).toMatchObject({
      workflow: { ref: 'refs/heads/main', trigger: 'workflow_dispatch' },
      refusals: [{ expected: 'tagged release', failed: ['refs', 'triggers', 'workflowRefs'] }],
    });
    await h.detector.stop();
  });

  it('the same entry event delivered twice gives one finding id; same rogue identity shares a dedupKey', async () => {
    const h = await harness({ policyFile: join(EXAMPLES, 'reusable-workflow.yaml') });
    const rogue = {
      ...cert('slsa-gha-generic-v2.1.0.pem'),
      extensions: { ...cert('slsa-gha-generic-v2.1.0.pem').extensions, '1.3.6.1.4.1.57264.1.14': 'refs/heads/attacker' },
    };
    const ev = entryEvent(SLSA_BUNDLE, rogue);
    const other = entryEvent(SLSA_BUNDLE, rogue); // a second signature by the same identity
    await h.feed(ev, ev, other);
    const f = h.findings();
    expect(f).toHaveLength(3);
    expect(new Set(f.map((x) => x.findingId)).size).toBe(2);
    expect(new Set(f.map((x) => x.dedupKey)).size).toBe(1);
    expect(f[0]).toMatchObject({ rule: 'identity.unexpected_signer', evidence: { workflow: { ref: 'refs/heads/attacker' } } });
    await h.detector.stop();
  });

  it('signatures of unwatched identities are ignored', async () => {
    const h = await harness({ policyFile: join(EXAMPLES, 'github-release.yaml') });
    await h.feed(entryEvent(PY_BUNDLE, cert('python-3.12.5-release.pem')), entryEvent(SLSA_BUNDLE, cert('slsa-gha-generic-v2.1.0.pem')));
    expect(h.findings()).toEqual([]);
    await h.detector.stop();
  });
});

describe('identity-watch configuration', () => {
  const ctx = (): ComponentContext => ({
    bus: new MemoryBus(),
    state: new MemoryStateStore(),
    logger: silentLogger,
    metrics: noopMetrics,
    dataDir: '/x',
    keys: new MemoryKeyProvider(),
    fail() {},
    now: () => new Date(),
  });

  it('a bad policy file fails start() with a coded error and the key path', async () => {
    const d = createIdentityWatchDetector({ policyFile: '/policies/p.yaml' }, ctx(), {
      readFile: async () => 'version: 1\nwatches:\n  - name: a\n    match: { repositories: [x/y] }\n    expected: [{ name: e, ref: main }]\n',
    });
    await expect(d.start()).rejects.toThrowWithCode(PolicyError, 'POLICY_INVALID', {
      file: '/policies/p.yaml',
      issues: [expect.objectContaining({ path: 'watches.0.expected.0.ref', line: 5 }), expect.objectContaining({ path: 'watches.0.expected.0' })],
    });
  });

  it('policyFile and policy are exclusive', () => {
    const exclusive = { issues: [{ path: 'detectors.identityWatch.policyFile' }] };
    expect(() => createIdentityWatchDetector({}, ctx())).toThrowWithCode(ConfigError, 'CONFIG_INVALID', exclusive);
    expect(() => createIdentityWatchDetector({ policyFile: 'a', policy: {} }, ctx())).toThrowWithCode(ConfigError, 'CONFIG_INVALID', exclusive);
  });
});
