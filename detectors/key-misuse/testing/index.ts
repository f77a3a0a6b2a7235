import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ArtifactSigner,
  type ComponentContext,
  type Finding,
  noopMetrics,
  silentLogger,
  type StateStore,
  topicFor,
  artifactVerifiedSchema,
  ArtifactVerifiedEvent,
  type CloudEvent,
  imageSubject,
  type KeyRevoked,
  KeyRevokedEvent,
  makeEvent,
  type PolicyVerdict,
  RekorEntryEvent,
  revocationSubject,
  type SignerIdentity,
} from '../../../core/index.js';
import { MemoryBus, MemoryKeyProvider, MemoryStateStore } from '../../../core/testing/index.js';
import { signerFromPem } from '../../../trust/index.js';
import type { KeyMisuseConfigInput } from '../config.js';
import { createKeyMisuseDetector } from '../detector.js';
import { keyIdOf } from '../commands.js';

/**
 * Events for the key-misuse tests and bench, built around REAL Fulcio certificates from the
 * shared real data (x509/fulcio; see its MANIFEST.md): the signer is what trust's own parser
 * extracts, the keyId is the SHA-256 of the certificate's SPKI (as `keys revoke FILE` computes it).
 */
export const CERTS = {
  /** A GitHub Actions release: tag refs/tags/nes-v1.0.12, trigger push, github-hosted. */
  release: 'github-private-attestation.pem',
  /** A branch build: refs/heads/main, workflow_dispatch (sigstore conformance beacon). */
  branch: 'conformance-happy-path-v0.3.pem',
  /** A person: thomas@python.org through accounts.google.com. */
  person: 'python-3.12.5-release.pem',
  /** Valid only from 2030 (conformance: intoto-tsa-timestamp-outside-cert-validity). */
  future: 'conformance-intoto-expired-certificate.pem',
} as const;

export function certSigner(realdataDir: string, file: string): ArtifactSigner {
  const path = join(realdataDir, 'x509/fulcio', file);
  return { ...signerFromPem(readFileSync(path, 'utf8')), keyId: keyIdOf(path) };
}

/** A time inside the certificate's validity (its notBefore plus `plusSeconds`). */
export const within = (s: ArtifactSigner, plusSeconds = 60): string => new Date(Date.parse(s.notBefore!) + plusSeconds * 1000).toISOString();

export interface SignedBy {
  signer: ArtifactSigner;
  /** tlog integrated time. */
  at: string;
  /** An RFC 3161 timestamp (milliseconds), besides the log's time. */
  tsa?: string;
  verified?: boolean;
}

let seq = 0;
export function artifactEvent(opts: {
  repository?: string;
  digest?: string;
  signed?: SignedBy[];
  policies?: Partial<PolicyVerdict>[];
  discoveryErrors?: { code: string; message: string }[];
  checkedAt?: string;
  id?: string;
}): CloudEvent {
  const digest = opts.digest ?? `sha256:${'a'.repeat(64)}`;
  const image = { registry: 'ghcr.io', repository: opts.repository ?? 'acme/app', digest };
  const policies = (opts.policies ?? []).map((p) => ({ policy: 'require-signature', mode: 'enforce', result: 'pass', ...p }));
  const data = artifactVerifiedSchema.parse({
    image,
    trigger: { source: 'distribution', deliveryId: `d-${++seq}`, action: 'push' },
    signatures: (opts.signed ?? []).map((s) => ({
      format: 'sigstore-bundle',
      foundBy: 'referrers',
      ref: `sha256:${'b'.repeat(64)}`,
      verified: s.verified ?? true,
      signer: s.signer,
      tlog: { logIndex: 1, integratedTime: s.at, verified: true },
      // As trust/oci reports a verified log entry: its integrated time is also a verified timestamp.
      timestamps: s.tsa ? [s.at, s.tsa] : [s.at],
      signedAt: s.tsa ?? s.at,
    })),
    policies,
    verdict: policies.some((p) => p.result === 'fail' && p.mode === 'enforce') ? 'fail' : policies.length > 0 ? 'pass' : 'no_policy',
    discoveryErrors: opts.discoveryErrors ?? [],
    checkedAt: opts.checkedAt ?? new Date().toISOString(),
    validUntil: new Date(Date.now() + 3_600_000).toISOString(),
  });
  return makeEvent({
    type: ArtifactVerifiedEvent.type,
    source: 'chainwatch://collectors/signatures',
    subject: imageSubject(image),
    data,
    ...(opts.id ? { id: opts.id } : {}),
  });
}

export function revokedEvent(r: Omit<KeyRevoked, 'origin' | 'actor' | 'reason'> & Partial<KeyRevoked>): CloudEvent {
  const data = { actor: 'test', reason: 'key leaked', origin: 'runbook', ...r } as KeyRevoked;
  return makeEvent({ type: KeyRevokedEvent.type, source: 'chainwatch://test', subject: revocationSubject(data), data });
}

/** The detector on the in-memory bus, with a fixed clock; `state` survives a restart when passed again. */
export async function harness(config: KeyMisuseConfigInput = {}, state: StateStore = new MemoryStateStore()) {
  const bus = new MemoryBus();
  const ctx: ComponentContext = {
    bus,
    state,
    logger: silentLogger,
    metrics: noopMetrics,
    dataDir: '/nonexistent',
    keys: new MemoryKeyProvider(),
    fail: (e) => {
      throw e;
    },
    now: () => new Date('2026-12-01T00:00:00Z'),
  };
  const detector = createKeyMisuseDetector(config, ctx);
  await detector.start();
  const feed = async (...evs: CloudEvent[]) => {
    for (const e of evs) await bus.publish(e);
    await bus.drain();
  };
  const findings = () => bus.events(topicFor('findings')).map((e) => e.data as Finding);
  return { bus, detector, feed, findings, state, firing: (rule: string) => findings().filter((f) => f.rule === rule && f.status === 'firing') };
}

/** A verified Rekor entry (as collectors/rekor publishes it) of one signer over one digest. */
export function rekorEvent(signer: SignerIdentity, integratedTime: string, digest: string): CloudEvent {
  const [algorithm, value] = digest.split(':') as [string, string];
  return makeEvent({
    type: RekorEntryEvent.type,
    source: 'chainwatch://collectors/rekor',
    subject: digest,
    data: {
      log: { origin: 'rekor.sigstore.dev - 1193050959916656506', url: 'https://rekor.sigstore.dev' },
      uuid: `uuid-${++seq}`,
      logIndex: seq,
      treeIndex: seq,
      integratedTime,
      kind: 'hashedrekord',
      body: {},
      artifact: { digests: [{ algorithm, value }] },
      signers: [signer],
      verification: { inclusion: true, set: true, checkpoint: { size: seq + 1, rootHash: 'ab' } },
    },
  });
}
