/**
 * Issue 14 item 2: the key inventory lists the keys on a configured PKCS#11 token (SoftHSM2, a
 * fresh token): C_FindObjects over its public keys, each with the keyId events carry (the SPKI
 * SHA-256 of the key imported into the token, computed here from node:crypto's copy), merged with
 * the configured entry of the same key. A wrong PIN is a coded problem, not a failed listing.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Finding, Secret, spkiKeyId, topicFor } from '../../core/index.js';
import { invokeCommand, testContext } from '../../core/testing/index.js';
import { createCertExpiryDetector } from '../../detectors/cert-expiry/index.js';
import { KeyInventoryRecorder, keyInventoryModule } from '../../keys/index.js';
import { importKey, newToken, setEndDate, softhsm } from '../helpers/softhsm.js';

const cmd = (name: string) => keyInventoryModule.commands!.find((c) => c.name === name)!;

describe.skipIf(softhsm.skip)('key inventory: keys listed from a PKCS#11 token (SoftHSM2)', () => {
  it('lists EC and Ed25519 keys with their keyIds and token locations; config owner/dates merge by keyId; a wrong PIN is a coded problem', async () => {
    const token = newToken('inv');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ed = generateKeyPairSync('ed25519');
    importKey(token, ec.privateKey, 'release-signing', '01');
    importKey(token, ed.privateKey, 'audit-witness', '02');
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-keyinv-hsm-'));
    const section = keyInventoryModule.section!.schema.parse({
      keys: [{ kind: 'cosign', publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(), owner: 'release team', rotationDue: '2027-01-01' }],
      tokens: [{ module: token.module, token: token.label, pin: new Secret(token.pin), purpose: 'release and audit keys' }],
    });
    const list = await invokeCommand(cmd('keys list'), ['--json'], { section, dataDir });
    expect(list.code, list.err).toBe(0);
    const out = JSON.parse(list.out) as { keys: Record<string, unknown>[]; problems: unknown[] };
    expect(out.problems).toEqual([]);
    const byId = new Map(out.keys.map((k) => [k.id, k]));
    expect(byId.get(spkiKeyId(ec.publicKey))).toMatchObject({ kind: 'cosign', owner: 'release team', rotationDue: '2027-01-01', algorithm: 'ec' });
    expect(byId.get(spkiKeyId(ed.publicKey))).toMatchObject({
      kind: 'hsm',
      name: 'audit-witness',
      purpose: 'release and audit keys',
      algorithm: 'ed25519',
      location: expect.stringContaining(`token=${token.label}`),
    });
    expect(out.keys).toHaveLength(2);

    const wrong = keyInventoryModule.section!.schema.parse({ tokens: [{ module: token.module, token: token.label, pin: new Secret('wrong-pin-0000') }] });
    const bad = await invokeCommand(cmd('keys list'), ['--json'], { section: wrong, dataDir });
    expect(bad.code).toBe(0);
    expect(JSON.parse(bad.out)).toMatchObject({ keys: [], problems: [{ code: 'KEY_PIN_INCORRECT' }] });
    expect(bad.out + bad.err).not.toContain('wrong-pin-0000');
  });

  it("an HSM key's CKA_END_DATE is its rotation date: listed, and paged by cert-expiry through the rotation schedule until the date moves", async () => {
    const token = newToken('rot');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    importKey(token, ec.privateKey, 'release-signing', '0a');
    setEndDate(token, 'release-signing', '20260311');
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-keyinv-rot-'));
    const section = keyInventoryModule.section!.schema.parse({
      tokens: [{ module: token.module, token: token.label, pin: new Secret(token.pin), owner: 'release team' }],
    });
    const list = await invokeCommand(cmd('keys list'), ['--json'], { section, dataDir });
    const keyId = spkiKeyId(ec.publicKey);
    expect(JSON.parse(list.out).keys).toEqual([expect.objectContaining({ id: keyId, kind: 'hsm', rotationDue: '2026-03-11', origin: `token:${token.label}` })]);

    // The daemon's two components on one bus: the recorder publishes the schedule, cert-expiry pages.
    const ctx = testContext(dataDir, Date.parse('2026-03-01T00:00:00Z'));
    const recorder = new KeyInventoryRecorder(section!, ctx);
    const expiry = createCertExpiryDetector({}, ctx);
    await expiry.start();
    await recorder.start();
    await recorder.flush();
    await ctx.bus.drain();
    await expiry.flush();
    const findings = () => ctx.bus.events(topicFor('findings')).map((e) => e.data as Finding);
    expect(findings().map((f) => `${f.status} ${f.rule} ${f.labels.threshold} ${f.severity}`)).toEqual([
      'firing key.rotation_due 30d low',
      'firing key.rotation_due 14d medium',
    ]);
    expect(findings()[0]).toMatchObject({
      subject: `key:${keyId}`,
      evidence: { owner: 'release team', location: expect.stringContaining(`token=${token.label}`) },
    });

    // The ceremony extends the key's period: the next rescan publishes the new date and resolves both.
    setEndDate(token, 'release-signing', '20270301');
    await recorder.publishSchedule();
    await ctx.bus.drain();
    await expiry.flush();
    expect(
      findings()
        .slice(2)
        .map((f) => `${f.status} ${f.labels.threshold}`),
    ).toEqual(['resolved 30d', 'resolved 14d']);
    await recorder.stop();
    await expiry.stop();
  });
});
