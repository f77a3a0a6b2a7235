import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { KeyRevokedEvent, makeEvent, spkiKeyId } from '../../core/index.js';
import { testContext } from '../../core/testing/index.js';
import { inventoryConfigSchema } from './config.js';
import { inventoryPath, KeyInventoryRecorder } from './recorder.js';
import { InventoryStore } from './store.js';

describe('key inventory recorder (through the bus)', () => {
  it('a keys.revoked event on the bus is recorded durably: the store has it after the handler', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-keyrec-'));
    const ctx = testContext(dataDir);
    const cfg = inventoryConfigSchema.parse({});
    const rec = new KeyInventoryRecorder(cfg, ctx);
    await rec.start();
    const keyId = spkiKeyId(generateKeyPairSync('ed25519').publicKey);
    await ctx.bus.publish([
      makeEvent({
        source: 'urn:test',
        type: KeyRevokedEvent.type,
        subject: `key:${keyId}`,
        data: { kind: 'key', keyId, revokedAt: '2026-05-10T00:00:00Z', reason: 'leaked', actor: 'alice', origin: 'cli' },
      }),
    ]);
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
});
