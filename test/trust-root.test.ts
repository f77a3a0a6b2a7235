import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TrustError, embeddedProductionRoot, fetchTrustedRootViaTuf, isKeyValidAt, loadTrustedRoot, logKeys, parseTrustedRoot } from '../trust/index.js';
import { realdata } from './helpers/services.js';

const rd = realdata();
const PROD = join(rd.dir, 'sigstore', 'trusted-roots', 'prod', 'trusted_root.json');
const STAGING = join(rd.dir, 'sigstore', 'trusted-roots', 'staging', 'trusted_root.json');
const CONFORMANCE = join(rd.dir, 'sigstore', 'conformance', 'bundle-verify');
const PY_ROOTS = join(rd.dir, 'sigstore', 'sigstore-python', 'trusted_root');
const STAGING_TUF_ROOT = join(rd.dir, 'sigstore', 'trusted-roots', 'staging', 'root.json');
const REKOR_PROD_PEM = join(rd.dir, 'rekor', 'api', 'log-info-rekor.sigstore.dev-treesize-266676745.pub.pem');

const tmp = mkdtempSync(join(tmpdir(), 'chainwatch-trust-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('trusted root: embedded production root (offline)', () => {
  it('reads the trusted_root.json target shipped in @sigstore/tuf seeds.json', () => {
    const root = embeddedProductionRoot();
    expect(root.tlogs.map((t) => t.baseUrl)).toContain('https://rekor.sigstore.dev');
    expect(root.certificateAuthorities.length).toBeGreaterThan(0);
  });

  it('falls back to the embedded root when TUF cannot be reached', async () => {
    // An unroutable mirror makes the failure deterministic whether or not this machine is online.
    const loaded = await loadTrustedRoot({ kind: 'production', tuf: { mirrorURL: 'http://127.0.0.1:9', cachePath: join(tmp, 'tuf-a'), timeoutMs: 2_000 } });
    expect(loaded.origin).toBe('embedded');
    expect(loaded.fallbackReason).toBeTruthy();
    expect(logKeys(loaded.root).length).toBeGreaterThan(0);
  });

  it('tries the real TUF repository with a short timeout and still yields a production root', async () => {
    const started = Date.now();
    const loaded = await loadTrustedRoot({ kind: 'production', tuf: { cachePath: join(tmp, 'tuf-b'), timeoutMs: 3_000 } });
    expect(['tuf', 'embedded']).toContain(loaded.origin);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(loaded.root.tlogs.map((t) => t.baseUrl)).toContain('https://rekor.sigstore.dev');
  });

  it('skips TUF entirely when asked to', async () => {
    const loaded = await loadTrustedRoot({ kind: 'production', tuf: false });
    expect(loaded.origin).toBe('embedded');
  });

  it('reports an unreachable TUF repository as retriable TUF_UNAVAILABLE', async () => {
    const err = await rejection(fetchTrustedRootViaTuf({ mirrorURL: 'http://127.0.0.1:9', cachePath: join(tmp, 'tuf-c'), timeoutMs: 2_000 }));
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('TUF_UNAVAILABLE');
    expect((err as TrustError).retriable).toBe(true);
  });
});

describe('trusted root: staging and files', () => {
  it('refuses staging without a root to start from (no staging seed ships)', async () => {
    const err = await rejection(loadTrustedRoot({ kind: 'staging' }));
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('TRUST_ROOT_UNAVAILABLE');
  });

  it('reports a missing file as TRUST_ROOT_UNREADABLE', async () => {
    const err = await rejection(loadTrustedRoot({ kind: 'file', path: join(tmp, 'nope.json') }));
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('TRUST_ROOT_UNREADABLE');
  });

  it.each([
    ['not JSON', '{"mediaType": '],
    ['not an object', '[]'],
    ['wrong media type', JSON.stringify({ mediaType: 'application/json', tlogs: [] })],
    [
      'tlog without key',
      JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [{ baseUrl: 'x', logId: { keyId: 'AA==' } }] }),
    ],
    [
      'undecodable key',
      JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [
          {
            baseUrl: 'x',
            logId: { keyId: 'AA==' },
            publicKey: { rawBytes: 'AAAA', keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2021-01-01T00:00:00Z' } },
          },
        ],
      }),
    ],
  ])('rejects a bad file (%s) as TRUST_ROOT_INVALID', async (_why, text) => {
    const path = join(tmp, `bad-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, text);
    const err = await rejection(loadTrustedRoot({ kind: 'file', path }));
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('TRUST_ROOT_INVALID');
  });
});

describe.skipIf(rd.skip)('trusted root: real roots (realdata)', () => {
  it('loads the production and staging roots from files', async () => {
    const prod = await loadTrustedRoot({ kind: 'file', path: PROD });
    const staging = await loadTrustedRoot({ kind: 'file', path: STAGING });
    expect(prod.origin).toBe('file');
    expect(logKeys(prod.root).some((k) => k.baseUrl === 'https://rekor.sigstore.dev')).toBe(true);
    expect(logKeys(staging.root).some((k) => k.baseUrl?.includes('sigstage.dev'))).toBe(true);
  });

  it('accepts the sigstore-python sample roots and rejects the one with a bad media type', async () => {
    for (const ok of ['trustedroot.v1.json', 'trustedroot.v1.local_tlog_ed25519_rekor-tiles.json']) {
      expect((await loadTrustedRoot({ kind: 'file', path: join(PY_ROOTS, ok) })).origin).toBe('file');
    }
    const err = await rejection(loadTrustedRoot({ kind: 'file', path: join(PY_ROOTS, 'trustedroot.badtype.json') }));
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('TRUST_ROOT_INVALID');
  });

  it('fetches staging through TUF from the staging TUF root.json, and reports TUF_UNAVAILABLE when it cannot', async () => {
    // Unroutable mirror: deterministic offline behaviour; there is no embedded staging fallback.
    const err = await rejection(
      loadTrustedRoot({
        kind: 'staging',
        tufRootPath: STAGING_TUF_ROOT,
        tuf: { mirrorURL: 'http://127.0.0.1:9', cachePath: join(tmp, 'tuf-s'), timeoutMs: 2_000 },
      }),
    );
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('TUF_UNAVAILABLE');
  });

  it('accepts every conformance trusted root except the one whose tlog validity has no start', () => {
    const dirs = existsSync(CONFORMANCE) ? readdirSync(CONFORMANCE).filter((d) => existsSync(join(CONFORMANCE, d, 'trusted_root.json'))) : [];
    expect(dirs.length).toBeGreaterThan(30);
    for (const d of dirs) {
      const text = readFileSync(join(CONFORMANCE, d, 'trusted_root.json'), 'utf8');
      if (d === 'trust-root-tlog-missing-validity-start_fail') {
        expect(() => parseTrustedRoot(text, d)).toThrow(TrustError);
        try {
          parseTrustedRoot(text, d);
        } catch (err) {
          expect((err as TrustError).code).toBe('TRUST_ROOT_INVALID');
        }
      } else {
        expect(() => parseTrustedRoot(text, d), d).not.toThrow();
      }
    }
  });

  it('exposes the Rekor key of the production root for the Rekor collector', async () => {
    const { root } = await loadTrustedRoot({ kind: 'file', path: PROD });
    const rekor = logKeys(root).find((k) => k.baseUrl === 'https://rekor.sigstore.dev');
    expect(rekor).toBeDefined();
    expect(rekor!.logId.base64).toBe('wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=');
    expect(rekor!.logId.hex).toBe(Buffer.from(rekor!.logId.base64, 'base64').toString('hex'));
    expect(rekor!.keyDetails).toBe('PKIX_ECDSA_P256_SHA_256');
    // Same key as Rekor serves from /api/v1/log/publicKey.
    const served = createPublicKey(readFileSync(REKOR_PROD_PEM, 'utf8')).export({ format: 'der', type: 'spki' });
    expect(rekor!.spki.equals(served)).toBe(true);
    expect(rekor!.publicKeyPem.replace(/\s+/g, '')).toBe(readFileSync(REKOR_PROD_PEM, 'utf8').replace(/\s+/g, ''));
    expect(rekor!.validFor.start?.toISOString()).toBe('2021-01-12T11:53:27.000Z');
    expect(isKeyValidAt(rekor!, new Date('2020-01-01T00:00:00Z'))).toBe(false);
    expect(isKeyValidAt(rekor!, new Date('2024-01-01T00:00:00Z'))).toBe(true);
  });
});
