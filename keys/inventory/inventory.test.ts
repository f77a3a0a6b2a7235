import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata'; // before @peculiar/x509 (tsyringe needs it)
import * as px from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { ArtifactVerifiedEvent, type CloudEvent, KeyError, KeyRevokedEvent, RekorEntryEvent, spkiKeyId } from '../../core/index.js';
import { invokeCommand } from '../../core/testing/index.js';
import { keysListCommand, keysShowCommand } from './commands.js';
import { type InventoryConfig, inventoryConfigSchema } from './config.js';
import { configuredEntry, readEntries } from './inventory.js';
import { inventoryPath, sightingsOf } from './recorder.js';
import { InventoryStore } from './store.js';

/**
 * The key inventory: ids of configured keys (the keyId events carry), sightings from the two
 * signing events, revocations, and the `keys list` / `keys show` commands over both.
 */
const NOW = new Date('2026-06-01T00:00:00Z');
const cosign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const cosignPem = cosign.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const cosignId = spkiKeyId(cosign.publicKey);

const ev = (type: string, data: unknown, id = 'e1', time = '2026-05-01T00:00:00Z'): CloudEvent => ({
  specversion: '1.0',
  id,
  source: 'urn:test',
  type,
  subject: 'reg.example/app@sha256:ab',
  time,
  data,
});

const verified = (keyId: string, verifiedFlag: boolean, signedAt: string) =>
  ev(ArtifactVerifiedEvent.type, {
    checkedAt: '2026-05-02T00:00:00Z',
    signatures: [
      { verified: verifiedFlag, signedAt, signer: { kind: 'certificate', keyId, issuer: 'https://issuer.example', san: 'ci@example.com', extensions: {} } },
    ],
    attestations: [],
  });

async function signingCert(): Promise<{ pem: string; keyId: string; notAfter: Date }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const notAfter = new Date('2027-01-01T00:00:00Z');
  const c = await px.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=notation signer',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter,
    keys,
    signingAlgorithm: alg,
  });
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const { createHash } = await import('node:crypto');
  return { pem: c.toString('pem'), keyId: createHash('sha256').update(spki).digest('hex'), notAfter };
}

describe('key inventory', () => {
  it('ids: a cosign key and a certificate by SPKI SHA-256 (rotation due defaults to notAfter); identities and KMS references as named', async () => {
    const cert = await signingCert();
    const cfg = inventoryConfigSchema.parse({
      keys: [
        { kind: 'cosign', publicKey: cosignPem, owner: 'release team', rotationDue: '2026-03-01' },
        { kind: 'x509', certificate: cert.pem },
        { kind: 'fulcio', issuer: 'https://token.actions.githubusercontent.com', subject: 'https://github.com/o/r/.github/workflows/rel.yml@refs/heads/main' },
        { kind: 'kms', uri: 'awskms:///alias/release' },
      ],
    });
    const ids = cfg.keys.map(configuredEntry);
    expect(ids.map((e) => e.id)).toEqual([
      cosignId,
      cert.keyId,
      'identity:https://token.actions.githubusercontent.com|https://github.com/o/r/.github/workflows/rel.yml@refs/heads/main',
      'kms:awskms:///alias/release',
    ]);
    expect(ids[1]!.rotationDue).toBe(cert.notAfter.toISOString());
    expect(() =>
      configuredEntry({ ...cfg.keys[0]!, kind: 'cosign', publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }),
    ).toThrowWithCode(KeyError, 'KEY_UNREADABLE');
  });

  it('sightings: verified signatures only, by keyId and identity; rekor public-key signers by fingerprint', () => {
    expect(sightingsOf(verified(cosignId, true, '2026-05-01T10:00:00Z')).map((s) => [s.id, s.lastSeen])).toEqual([
      [cosignId, '2026-05-01T10:00:00.000Z'],
      ['identity:https://issuer.example|ci@example.com', '2026-05-01T10:00:00.000Z'],
    ]);
    expect(sightingsOf(verified(cosignId, false, '2026-05-01T10:00:00Z'))).toEqual([]);
    const rekor = ev(RekorEntryEvent.type, {
      integratedTime: '2026-05-03T00:00:00Z',
      signers: [{ kind: 'publicKey', fingerprintSha256: cosignId.toUpperCase(), extensions: {} }],
    });
    expect(sightingsOf(rekor).map((s) => s.id)).toEqual([cosignId]);
  });

  it('keys list / show: last seen never moves back; a revocation sets state revoked; unknown ids exit 1', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-keyinv-'));
    const file = join(dataDir, 'pub.pem');
    writeFileSync(file, cosignPem);
    const section: InventoryConfig = inventoryConfigSchema.parse({
      keys: [
        { kind: 'cosign', publicKeyFile: file, name: 'release', owner: 'release team', rotationDue: '2026-03-01' },
        { kind: 'cosign', publicKeyFile: join(dataDir, 'missing.pem') },
      ],
    });
    const store = InventoryStore.open(inventoryPath(section, dataDir));
    for (const s of sightingsOf(verified(cosignId, true, '2026-05-01T10:00:00Z'))) store.saw(s);
    for (const s of sightingsOf(verified(cosignId, true, '2026-04-01T10:00:00Z'))) store.saw(s); // older, redelivered late
    const revoked = ev(
      KeyRevokedEvent.type,
      { kind: 'key', keyId: cosignId, revokedAt: '2026-05-10T00:00:00Z', reason: 'leaked', actor: 'alice', origin: 'cli' },
      'r1',
    );
    const d = revoked.data as { keyId: string; revokedAt: string; reason: string; actor: string };
    store.revoke({ id: d.keyId, revokedAt: d.revokedAt, reason: d.reason, actor: d.actor, eventId: revoked.id });
    store.close();

    const list = await invokeCommand(keysListCommand, ['--json'], { section, dataDir, now: () => NOW });
    expect(list.code).toBe(0);
    const out = JSON.parse(list.out) as { keys: Record<string, unknown>[]; problems: { code: string }[] };
    expect(out.keys).toEqual([
      expect.objectContaining({
        id: cosignId,
        name: 'release',
        state: 'revoked',
        lastSeen: '2026-05-01T10:00:00.000Z',
        revoked: { at: '2026-05-10T00:00:00Z', reason: 'leaked', actor: 'alice' },
      }),
    ]);
    expect(out.problems).toEqual([expect.objectContaining({ code: 'KEY_NOT_FOUND' })]);

    const show = await invokeCommand(keysShowCommand, [cosignId.slice(0, 12), '--json'], { section, dataDir, now: () => NOW });
    expect(show.code).toBe(0);
    expect(JSON.parse(show.out)).toMatchObject({ id: cosignId, owner: 'release team', rotationOverdue: false });
    expect((await invokeCommand(keysShowCommand, ['release'], { section, dataDir, now: () => NOW })).code).toBe(0);
    expect((await invokeCommand(keysShowCommand, ['0000000000'], { section, dataDir, now: () => NOW })).code).toBe(1);
  });

  it('rotation overdue is flagged for active keys past their date', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-keyinv-'));
    const section = inventoryConfigSchema.parse({ keys: [{ kind: 'cosign', publicKey: cosignPem, rotationDue: '2026-03-01' }] });
    const out = JSON.parse((await invokeCommand(keysListCommand, ['--json'], { section, dataDir, now: () => NOW })).out) as {
      keys: { rotationOverdue: boolean }[];
    };
    expect(out.keys[0]!.rotationOverdue).toBe(true);
  });

  it('a token whose PIN was refused is not logged in to again: its standing problem is reported instead', async () => {
    const section = inventoryConfigSchema.parse({ tokens: [{ module: '/nonexistent/libpkcs11.so', token: 'release', pin: 'not-used-0000' }] });
    const refused = new Map([['release', { index: 0, origin: 'token:release', code: 'KEY_PIN_INCORRECT', message: 'refused' }]]);
    // With the module missing, a login attempt would be KEY_MODULE_UNLOADABLE: the standing problem shows none was made.
    expect((await readEntries(section, refused)).problems).toEqual([{ index: 0, origin: 'token:release', code: 'KEY_PIN_INCORRECT', message: 'refused' }]);
    expect((await readEntries(section)).problems).toEqual([expect.objectContaining({ origin: 'token:release', code: 'KEY_MODULE_UNLOADABLE' })]);
  });
});
