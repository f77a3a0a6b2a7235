import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type KeyRotationSchedule, KeyRotationScheduleEvent, KeyRevokedEvent, makeEvent, spkiKeyId, topicFor } from '../../core/index.js';
import { testContext } from '../../core/testing/index.js';
import { inventoryConfigSchema } from './config.js';
import { inventoryPath, KeyInventoryRecorder } from './recorder.js';
import { InventoryStore } from './store.js';

const revoked = (keyId: string) =>
  makeEvent({
    source: 'urn:test',
    type: KeyRevokedEvent.type,
    subject: `key:${keyId}`,
    data: { kind: 'key', keyId, revokedAt: '2026-05-10T00:00:00Z', reason: 'leaked', actor: 'alice', origin: 'cli' },
  });

describe('key inventory recorder (through the bus)', () => {
  it('a keys.revoked event on the bus is recorded durably: the store has it after the handler', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-keyrec-'));
    const ctx = testContext(dataDir);
    const cfg = inventoryConfigSchema.parse({});
    const rec = new KeyInventoryRecorder(cfg, ctx);
    await rec.start();
    const keyId = spkiKeyId(generateKeyPairSync('ed25519').publicKey);
    await ctx.bus.publish([revoked(keyId)]);
    await vi.waitFor(() => {
      const store = InventoryStore.openReadonly(inventoryPath(cfg, dataDir));
      try {
        expect(store.revocations().get(keyId)).toMatchObject({ revokedAt: '2026-05-10T00:00:00Z', actor: 'alice' });
      } finally {
        store.close();
      }
    });
    await rec.stop();
  });

  it('publishes the rotation schedule at start, again only when it changed, and after a revocation (revoked state, without reading the keys again)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-keyrec-'));
    const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const keyId = spkiKeyId(pub);
    const cfg = inventoryConfigSchema.parse({
      keys: [
        {
          kind: 'cosign',
          publicKey: pub.export({ type: 'spki', format: 'pem' }).toString(),
          name: 'release',
          owner: 'release team',
          rotationDue: '2026-06-01',
        },
        { kind: 'kms', uri: 'awskms:///alias/no-date' },
        { kind: 'cosign', publicKeyFile: join(dataDir, 'missing.pem'), rotationDue: '2026-07-01' },
      ],
    });
    const ctx = testContext(dataDir);
    const schedules = () =>
      ctx.bus
        .events(topicFor('keys'))
        .filter((e) => e.type === KeyRotationScheduleEvent.type)
        .map((e) => e.data as KeyRotationSchedule);
    const rec = new KeyInventoryRecorder(cfg, ctx);
    await rec.start();
    await rec.flush();
    expect(schedules()).toEqual([
      {
        keys: [
          { id: keyId, origin: 'keys[0]', kind: 'cosign', name: 'release', owner: 'release team', state: 'active', rotationDue: '2026-06-01', algorithm: 'ec' },
        ],
        problems: [{ origin: 'keys[2]', code: 'KEY_NOT_FOUND', message: expect.stringContaining('keys.inventory.keys[2]') }],
      },
    ]);
    await rec.publishSchedule();
    await rec.stop();
    // A restart with the same keys publishes nothing new (the fingerprint is in the store).
    const again = new KeyInventoryRecorder(cfg, ctx);
    await again.start();
    await again.flush();
    expect(schedules()).toHaveLength(1);
    // The missing key file appears now: a revocation re-merges the last read (no file read, no token
    // login per revocation), so only the next rescan would list it.
    writeFileSync(join(dataDir, 'missing.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    await ctx.bus.publish([revoked(keyId)]);
    await vi.waitFor(() => expect(schedules()).toHaveLength(2));
    expect(schedules()[1]!.keys).toEqual([expect.objectContaining({ id: keyId, state: 'revoked' })]);
    expect(schedules()[1]!.problems).toEqual(schedules()[0]!.problems);
    await again.publishSchedule(); // a rescan reads the file
    expect(schedules()[2]!.keys.map((k) => k.origin)).toEqual(expect.arrayContaining(['keys[0]', 'keys[2]']));
    await again.stop();
  });
});
