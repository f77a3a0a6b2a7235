import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmbeddedBus, embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { SignaturesCollector, type SignaturesConfigInput, signaturesConfigSchema, type SignaturesDeps } from '../collectors/signatures/index.js';
import {
  type ArtifactVerified,
  ArtifactVerifiedEvent,
  type ClosableStateStore,
  makeEvent,
  type RegistryManifest,
  RegistryManifestEvent,
  imageSubject,
} from '../core/index.js';
import { freePort } from '../core/testing/index.js';
import { OciClient } from '../collectors/shared/oci/index.js';
import { liveContext } from './helpers/context.js';
import { attachSbom, cosign, cosignAttestSbom, cosignKeyPair, cosignSign, countingFetch, ocireg, ociregNoReferrers, pushImage } from './helpers/oci.js';

/**
 * collectors.signatures end to end on the durable embedded bus against the REAL ggcr registry
 * (scripts/services/ocireg.sh), with images signed and attested by REAL cosign v3 (cosign.sh) and SBOMs
 * attached by oras: a registry.manifest push becomes exactly one artifact.verified per
 * digest after the settle delay; a verify is answered from the state-store cache without a request;
 * a registry that is down still yields an event (with discoveryErrors); a stop during the settle
 * delay leaves the record uncommitted and the next collector handles it.
 */
interface Rig {
  bus: EmbeddedBus;
  state: ClosableStateStore;
  dir: string;
  verified: () => ArtifactVerified[];
  collector: (cfg: SignaturesConfigInput, deps?: SignaturesDeps) => Promise<SignaturesCollector>;
  close: () => Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

async function rig(bus_: { partitions?: number } = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-sig-'));
  const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollInterval: 20, ...bus_ }), path: join(dir, 'bus.db') });
  const state = bus.stateStore();
  await bus.start();
  const seen: ArtifactVerified[] = [];
  await bus.subscribe({
    group: 'test-reader',
    topics: ['chainwatch.registry'],
    fromBeginning: true,
    handler: async (rec) => {
      if (rec.event.type === ArtifactVerifiedEvent.type) seen.push(rec.event.data as ArtifactVerified);
    },
  });
  const running: SignaturesCollector[] = [];
  const r: Rig = {
    bus,
    state,
    dir,
    verified: () => seen,
    collector: async (cfg, deps) => {
      const c = new SignaturesCollector(signaturesConfigSchema.parse(cfg), liveContext(bus, state, dir), deps);
      await c.start();
      running.push(c);
      return c;
    },
    close: async () => {
      for (const c of running) await c.stop();
      await bus.stop();
      state.close();
    },
  };
  rigs.push(r);
  return r;
}

let n = 0;
function manifestEvent(action: RegistryManifest['action'], image: RegistryManifest['image']): ReturnType<typeof makeEvent<RegistryManifest>> {
  const now = new Date().toISOString();
  const data: RegistryManifest = {
    source: action === 'verify' ? 'cli' : 'distribution',
    action,
    image,
    deliveryId: `test-${Date.now()}-${n++}`,
    occurredAt: now,
    receivedAt: now,
  };
  return makeEvent({ type: RegistryManifestEvent.type, source: 'chainwatch://test', subject: imageSubject(image), data });
}

describe.skipIf(ocireg.skip || cosign.skip)('collectors.signatures against go-containerregistry', () => {
  const host = (): string => ocireg.value!;
  const repo = (name: string): string => `cw/sig-${name}-${Date.now().toString(36)}`;

  it('push -> after the settle delay one artifact.verified: cosign .sig signature and .att CycloneDX attestation verified; verify -> from the cache, no request; a new push re-checks', async () => {
    const r = await rig();
    const name = repo('push');
    const digest = await pushImage(host(), name, 'v1');
    const bare = await pushImage(host(), name, 'bare');
    const k = await cosignKeyPair();
    const ref = `${host()}/${name}@${digest}`;
    await cosignSign(ref, k.key, true);
    await cosignAttestSbom(ref, k.key, true);
    await attachSbom(host(), name, digest); // an unsigned SBOM referrer: found, proves nothing
    const counter = countingFetch();
    await r.collector({ settleDelay: '300ms', cacheTtl: '1h', trust: { keys: [k.pub] } }, { fetch: counter.fetch });
    const image = { registry: host(), repository: name, digest, tag: 'v1' };
    const started = Date.now();
    await r.bus.publish([manifestEvent('push', image), manifestEvent('push', { registry: host(), repository: name, digest: bare, tag: 'bare' })]);

    await vi.waitFor(() => expect(r.verified()).toHaveLength(2), { timeout: 15_000, interval: 50 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const signed = r.verified().find((v) => v.image.digest === digest)!;
    expect(signed).toMatchObject({ image, tags: ['v1'], trigger: { action: 'push' }, verdict: 'no_policy', policies: [], discoveryErrors: [] });
    expect(signed.signatures).toEqual([expect.objectContaining({ format: 'cosign', foundBy: 'tag', verified: true })]);
    expect(signed.attestations).toEqual([
      expect.objectContaining({ format: 'cosign', foundBy: 'tag', verified: true, subjectMatches: true, predicateType: 'https://cyclonedx.org/bom' }),
    ]);
    expect(r.verified().find((v) => v.image.digest === bare)).toMatchObject({ signatures: [], attestations: [], discoveryErrors: [] });

    const before = counter.count();
    expect(before).toBeGreaterThan(0);
    await r.bus.publish(manifestEvent('verify', { registry: host(), repository: name, digest }));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(3), { timeout: 10_000, interval: 50 });
    expect(r.verified()[2]).toMatchObject({ trigger: { action: 'verify' }, signatures: signed.signatures, checkedAt: signed.checkedAt });
    expect(counter.count()).toBe(before);

    await r.bus.publish(manifestEvent('push', image));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(4), { timeout: 10_000, interval: 50 });
    expect(counter.count()).toBeGreaterThan(before);
    expect(r.verified()[3]!.checkedAt > signed.checkedAt).toBe(true);
  });

  it("cosign v3 Sigstore bundles as referrers verify (foundBy referrers); another key's signature does not", async () => {
    const r = await rig();
    const name = repo('bundle');
    const digest = await pushImage(host(), name, 'v1');
    const trusted = await cosignKeyPair();
    const stranger = await cosignKeyPair();
    const ref = `${host()}/${name}@${digest}`;
    await cosignSign(ref, trusted.key, false);
    await cosignSign(ref, stranger.key, false);
    await r.collector({ settleDelay: 0, trust: { keys: [trusted.pub] } });
    await r.bus.publish(manifestEvent('verify', { registry: host(), repository: name, digest }));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const sigs = r.verified()[0]!.signatures;
    expect(sigs).toHaveLength(2);
    expect(sigs.every((s) => s.foundBy === 'referrers' && s.format === 'sigstore-bundle')).toBe(true);
    expect(sigs.filter((s) => s.verified)).toHaveLength(1);
    expect(sigs.find((s) => !s.verified)!.errorCode).toBeDefined();
  });

  it('a registry without the referrers API: cosign v3 bundles are found through the sha256-<hex> fallback index (foundBy referrers-tag) and verify', async () => {
    const r = await rig();
    const noref = ociregNoReferrers.value!;
    const name = repo('fallback');
    const digest = await pushImage(noref, name, 'v1');
    const k = await cosignKeyPair();
    await cosignSign(`${noref}/${name}@${digest}`, k.key, false);
    await r.collector({ settleDelay: 0, trust: { keys: [k.pub] } });
    await r.bus.publish(manifestEvent('verify', { registry: noref, repository: name, digest }));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(1), { timeout: 10_000, interval: 50 });
    expect(r.verified()[0]).toMatchObject({
      discoveryErrors: [],
      signatures: [expect.objectContaining({ foundBy: 'referrers-tag', format: 'sigstore-bundle', verified: true })],
    });
  });

  it('a signature pushed after the image (its sha256-<hex>.sig tag) re-checks the image it names: the new event shows it signed', async () => {
    const r = await rig();
    const name = repo('later');
    const digest = await pushImage(host(), name, 'v1');
    const k = await cosignKeyPair();
    await r.collector({ settleDelay: 0, trust: { keys: [k.pub] } });
    await r.bus.publish(manifestEvent('push', { registry: host(), repository: name, digest, tag: 'v1' }));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(1), { timeout: 10_000, interval: 50 });
    expect(r.verified()[0]!.signatures).toEqual([]);
    await cosignSign(`${host()}/${name}@${digest}`, k.key, true);
    const sigTag = `${digest.replace(':', '-')}.sig`;
    const sigDigest = (await new OciClient({ registry: host() }).getManifest(name, sigTag)).digest;
    await r.bus.publish(manifestEvent('push', { registry: host(), repository: name, digest: sigDigest, tag: sigTag }));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(2), { timeout: 10_000, interval: 50 });
    expect(r.verified()[1]).toMatchObject({ image: { digest }, tags: ['v1'], signatures: [expect.objectContaining({ verified: true, foundBy: 'tag' })] });
  });

  it('an untagged referrer pushed after the image (a cosign v3 bundle) re-checks its subject, not itself', async () => {
    const r = await rig();
    const name = repo('referrer');
    const digest = await pushImage(host(), name, 'v1');
    const k = await cosignKeyPair();
    await r.collector({ settleDelay: 0, trust: { keys: [k.pub] } });
    await cosignSign(`${host()}/${name}@${digest}`, k.key, false);
    const [bundle] = (await new OciClient({ registry: host() }).referrers(name, digest)).descriptors;
    // The registry notifies the referrer's own push: by digest, no tag.
    await r.bus.publish(manifestEvent('push', { registry: host(), repository: name, digest: bundle!.digest }));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(1), { timeout: 10_000, interval: 50 });
    expect(r.verified()[0]).toMatchObject({ image: { digest }, signatures: [expect.objectContaining({ verified: true, foundBy: 'referrers' })] });
  });

  it('image policies (rules/policy) from collectors.signatures.policies judge the digest: static pass, key-signed fails as unsigned', async () => {
    const r = await rig();
    const name = repo('policy');
    const digest = await pushImage(host(), name, 'v1');
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const file = join(r.dir, 'policies.yaml');
    const images = JSON.stringify([`${host()}/cw/sig-policy-*`]);
    writeFileSync(
      file,
      `name: open\nimages: ${images}\nauthorities: [{ name: anyone, static: pass }]\n---\n` +
        `name: signed\nimages: ${images}\nauthorities: [{ name: release, key: { pem: ${JSON.stringify(pem)} } }]\n---\n` +
        `name: elsewhere\nimages: ["ghcr.io/**"]\nauthorities: [{ name: anyone, static: pass }]\n`,
    );
    await r.collector({ settleDelay: 0, policies: file });
    await r.bus.publish(manifestEvent('push', { registry: host(), repository: name, digest, tag: 'v1' }));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const v = r.verified()[0]!;
    expect(v.verdict).toBe('fail');
    expect(v.policies.map((p) => [p.policy, p.result])).toEqual([
      ['open', 'pass'],
      ['signed', 'fail'],
      ['elsewhere', 'not_applicable'],
    ]);
    expect(v.policies[1]!.failures).toContain('unsigned');
  });

  it('checks of one digest publish in the order their events were handled, even when the first one is slower', async () => {
    // One partition: the two events are handled in offset order (across partitions the handling
    // order is whichever partition's round reaches its record first).
    const r = await rig({ partitions: 1 });
    const name = repo('order');
    const digest = await pushImage(host(), name, 'v1');
    // The image's push (reference with its tag) verifies slowly; its signature tag's push (another
    // bus key, handed over at once in the same batch) is checked against the bare digest, fast.
    const verify: NonNullable<SignaturesDeps['verify']> = async (_artifacts, target) => {
      if (target.reference.includes(':v1@')) await new Promise((res) => setTimeout(res, 600));
      return { signatures: [], attestations: [] };
    };
    await r.collector({ settleDelay: 0, trust: { keys: [] } }, { verify });
    const first = manifestEvent('push', { registry: host(), repository: name, digest, tag: 'v1' });
    // The signature manifest's own digest (the event's subject) is not the image's: another bus key.
    const second = manifestEvent('push', { registry: host(), repository: name, digest: `sha256:${'cd'.repeat(32)}`, tag: `sha256-${digest.slice(7)}.sig` });
    await r.bus.publish([first, second]);
    await vi.waitFor(() => expect(r.verified()).toHaveLength(2), { timeout: 10_000, interval: 20 });
    expect(r.verified().map((v) => v.trigger.deliveryId)).toEqual([first.data!.deliveryId, second.data!.deliveryId]);
  });

  it('a delete drops the cached result: the next verify asks the registry again; nothing is published for the delete', async () => {
    const r = await rig();
    const name = repo('delete');
    const digest = await pushImage(host(), name, 'v1');
    const counter = countingFetch();
    await r.collector({ settleDelay: 0 }, { fetch: counter.fetch });
    const image = { registry: host(), repository: name, digest };
    await r.bus.publish(manifestEvent('verify', image));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const afterFirst = counter.count();
    await r.bus.publish(manifestEvent('delete', image));
    await r.bus.publish(manifestEvent('verify', image));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(2), { timeout: 10_000, interval: 50 });
    expect(counter.count()).toBeGreaterThan(afterFirst);
  });

  it('a registry that is down: retried, then published with coded discoveryErrors (nothing lost)', async () => {
    const r = await rig();
    const down = `127.0.0.1:${await freePort()}`;
    await r.collector({ settleDelay: 0 });
    const image = { registry: down, repository: 'cw/gone', digest: `sha256:${'b'.repeat(64)}`, tag: 'v1' };
    await r.bus.publish(manifestEvent('push', image));
    await vi.waitFor(() => expect(r.verified()).toHaveLength(1), { timeout: 60_000, interval: 100 });
    const v = r.verified()[0]!;
    expect(v.signatures).toEqual([]);
    expect(v.discoveryErrors.map((e) => e.code)).toEqual(['OCI_UNREACHABLE', 'OCI_UNREACHABLE', 'OCI_UNREACHABLE']);
  });

  it('a graceful stop during the settle delay drains: the push is published before stop() resolves', async () => {
    const r = await rig();
    const name = repo('drain');
    const digest = await pushImage(host(), name, 'v1');
    const c = await r.collector({ settleDelay: '1500ms' });
    await r.bus.publish(manifestEvent('push', { registry: host(), repository: name, digest, tag: 'v1' }));
    await vi.waitFor(async () => expect(await r.bus.lag('collector.signatures')).toEqual(expect.arrayContaining([expect.objectContaining({ lag: 1 })])), {
      timeout: 5_000,
      interval: 20,
    });
    await c.stop();
    await vi.waitFor(() => expect(r.verified().map((v) => v.image.digest)).toEqual([digest]), { timeout: 5_000, interval: 20 });
  });
});
