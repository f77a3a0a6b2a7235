import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRekorCollector, type RekorCollector } from '../collectors/rekor/index.js';
import type { RekorEntry } from '../core/index.js';
import { SqliteStateStore } from '../stores/sqlite/index.js';
import { MemoryBus } from '../core/testing/index.js';
import { type EcKeyPair, generateEcKeyPair, uploadHashedRekord } from '../collectors/rekor/testing/index.js';
import { liveContext } from './helpers/context.js';
import { service } from './helpers/services.js';

/**
 * End to end against a REAL Rekor v1 (scripts/services/rekor.sh: MariaDB + Trillian + rekor-server):
 * entries are added with the real rekor-cli, the collector tails them, verifies checkpoint
 * signatures, consistency, inclusion proofs and SETs, and publishes; it is stopped mid-tail,
 * more entries are added, and a restarted collector on the same durable state resumes with no gap.
 */
const rekor = service('CHAINWATCH_TEST_REKOR_URL', 'Rekor');
const run = promisify(execFile);

describe.skipIf(rekor.skip)('Rekor v1 collector against a real Rekor', () => {
  const url = rekor.value!;
  const cli = process.env.CHAINWATCH_TEST_REKOR_CLI ?? 'rekor-cli';
  const dir = mkdtempSync(join(tmpdir(), 'cw-rekor-'));
  let publicKey = '';
  let keyFingerprint = '';
  let startIndex = 0;
  const digests = new Map<string, number>(); // sha256 hex -> upload order
  let uploaded = 0;

  let key: EcKeyPair;
  async function upload(): Promise<void> {
    const i = uploaded++;
    const artifact = join(dir, `artifact-${i}`);
    const digest = await uploadHashedRekord({
      url,
      cli,
      artifact,
      content: `chainwatch integration artifact ${i} ${process.pid} ${Date.now()}\n`,
      privateKey: key.privateKey,
      verifier: key.publicKey,
    });
    digests.set(digest, i);
  }
  async function treeSize(): Promise<number> {
    return ((await (await fetch(`${url}/api/v1/log`)).json()) as { treeSize: number }).treeSize;
  }

  beforeAll(async () => {
    key = await generateEcKeyPair(dir, 'key');
    keyFingerprint = key.fingerprint;
    publicKey = await (await fetch(`${url}/api/v1/log/publicKey`)).text();
    if (process.env.CHAINWATCH_TEST_REKOR_PUBKEY) {
      // The service generated the signing key: what the log serves must be that key.
      const want = createPublicKey(readFileSync(process.env.CHAINWATCH_TEST_REKOR_PUBKEY)).export({ type: 'spki', format: 'der' });
      expect(createPublicKey(publicKey).export({ type: 'spki', format: 'der' }).equals(want)).toBe(true);
    }
    startIndex = await treeSize();
  });

  const ctx = (bus: MemoryBus, state: SqliteStateStore) => liveContext(bus, state, dir);

  it('tails, verifies, survives a restart mid-tail with no gap and no unverified event', async () => {
    for (let i = 0; i < 6; i++) await upload();
    const bus = new MemoryBus();
    const statePath = join(dir, 'state.db');
    const cfg = { url, publicKey, start: { index: startIndex }, pollInterval: 200, batchSize: 2, concurrency: 2 };
    let state = new SqliteStateStore(statePath);
    let c = createRekorCollector(cfg, ctx(bus, state)) as RekorCollector;
    await c.start();
    const entries = (): RekorEntry[] => bus.events('chainwatch.rekor').map((e) => e.data as RekorEntry);
    await vi.waitFor(() => expect(entries().length >= 6, 'first 6 entries').toBe(true), { timeout: 60_000 });

    // Slow the collector down (1 entry per batch, 2 requests/s) so that stop() lands mid-tail.
    await c.stop();
    for (let i = 0; i < 6; i++) await upload();
    c = createRekorCollector({ ...cfg, batchSize: 1, concurrency: 1, rateLimit: { requestsPerSecond: 2 } }, ctx(bus, state)) as RekorCollector;
    await c.start();
    await vi.waitFor(() => expect(entries().length >= 8, 'tail started').toBe(true), { timeout: 60_000 });
    await c.stop();
    const mid = entries().length;
    expect(mid).toBeLessThan(12);
    (state as unknown as { close?: () => void }).close?.();

    for (let i = 0; i < 3; i++) await upload();
    state = new SqliteStateStore(statePath); // a restarted process reads the durable cursor
    c = createRekorCollector(cfg, ctx(bus, state)) as RekorCollector;
    await c.start();
    await vi.waitFor(() => expect(new Set(entries().map((e) => e.logIndex)).size >= 15, 'all 15 entries').toBe(true), { timeout: 60_000 });
    await c.stop();

    const got = entries();
    const indexes = [...new Set(got.map((e) => e.logIndex))].sort((a, b) => a - b);
    expect(indexes).toEqual(Array.from({ length: 15 }, (_, k) => startIndex + k)); // no gap
    expect(got.length).toBe(15); // and, with commit-after-publish, no duplicate either
    const checkpoints = bus
      .events('chainwatch.tlog')
      .filter((e) => e.type === 'dev.chainwatch.tlog.checkpoint.v1')
      .map((e) => e.data as { treeSize: number; rootHash: string; signatureVerified: boolean });
    const anomalies = bus.events('chainwatch.tlog').filter((e) => e.type === 'dev.chainwatch.tlog.anomaly.v1');
    expect(anomalies).toEqual([]);
    const maxVerified = Math.max(...checkpoints.map((c) => c.treeSize));
    for (const e of got) {
      expect(e.verification.inclusion).toBe(true);
      expect(e.verification.set).toBe(true);
      expect(e.verification.checkpoint.size).toBeLessThanOrEqual(maxVerified);
      const same = checkpoints.find((cp) => cp.treeSize === e.verification.checkpoint.size);
      if (same) expect(same.rootHash).toBe(e.verification.checkpoint.rootHash);
      expect(e.kind).toBe('hashedrekord');
      expect(digests.has(e.artifact.digests[0]!.value)).toBe(true);
      expect(e.signers[0]).toMatchObject({ kind: 'publicKey', fingerprintSha256: keyFingerprint });
    }
    expect(checkpoints.every((cp) => cp.signatureVerified)).toBe(true);
    expect(got.map((e) => digests.get(e.artifact.digests[0]!.value))).toEqual([...Array(15).keys()]);
  });

  it('extracts certificate identity (SAN, OIDC issuer, GitHub claims) end to end', async () => {
    const from = await treeSize();
    const cert = join(dir, 'cert.pem');
    const hexOf = (t: string): string => Buffer.from(t).toString('hex');
    await run('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      key.privateKey,
      '-days',
      '1',
      '-subj',
      '/O=sigstore.dev',
      '-out',
      cert,
      '-addext',
      'subjectAltName=URI:https://github.com/chainwatch/demo/.github/workflows/release.yml@refs/heads/main',
      '-addext',
      `1.3.6.1.4.1.57264.1.1=DER:${hexOf('https://token.actions.githubusercontent.com')}`,
      '-addext',
      '1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://token.actions.githubusercontent.com',
      '-addext',
      '1.3.6.1.4.1.57264.1.12=ASN1:UTF8String:https://github.com/chainwatch/demo',
      '-addext',
      '1.3.6.1.4.1.57264.1.14=ASN1:UTF8String:refs/heads/main',
    ]);
    const certDigest = await uploadHashedRekord({
      url,
      cli,
      artifact: join(dir, 'cert-artifact'),
      content: `certificate-signed ${Date.now()}\n`,
      privateKey: key.privateKey,
      verifier: cert,
    });
    const bus = new MemoryBus();
    const state = new SqliteStateStore(join(dir, 'state-cert.db'));
    const c = createRekorCollector({ url, publicKey, start: { index: from }, pollInterval: 200 }, ctx(bus, state)) as RekorCollector;
    await c.start();
    const entries = (): RekorEntry[] => bus.events('chainwatch.rekor').map((e) => e.data as RekorEntry);
    await vi.waitFor(() => expect(entries().length >= 1, 'the certificate entry').toBe(true), { timeout: 60_000 });
    await c.stop();
    const e = entries()[0]!;
    expect(e.artifact.digests[0]!.value).toBe(certDigest);
    expect(e.signers[0]).toMatchObject({
      kind: 'certificate',
      san: 'https://github.com/chainwatch/demo/.github/workflows/release.yml@refs/heads/main',
      issuer: 'https://token.actions.githubusercontent.com',
      github: { repository: 'https://github.com/chainwatch/demo', ref: 'refs/heads/main' },
    });
    expect(e.signers[0]!.extensions['1.3.6.1.4.1.57264.1.1']).toBe('https://token.actions.githubusercontent.com');
    expect(e.verification).toMatchObject({ inclusion: true, set: true });
  });

  afterAll(() => undefined);
});
