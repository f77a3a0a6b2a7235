import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noopMetrics, silentLogger, topicFor } from '../../core/index.js';
import { MemoryBus, MemoryKeyProvider, MemoryStateStore, realdata } from '../../core/testing/index.js';
import { rekorModule, rekorSectionSchema } from './module.js';

const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const rd = realdata();

describe('collectors.rekor module', () => {
  it('refuses two entries that follow one log from one vantage (they would be one component)', () => {
    const res = rekorSectionSchema.safeParse([
      { url: 'https://rekor.example/', publicKey: PEM },
      { url: 'https://user:pw@rekor.example', publicKey: PEM },
      { url: 'https://rekor.example', publicKey: PEM, vantage: 'eu' },
    ]);
    expect(res.success).toBe(false);
    expect(res.error!.issues.map((i) => i.path)).toEqual([[1, 'url']]);
  });

  it('refuses a public key that does not parse when the config is checked, not when the collector starts', () => {
    const res = rekorSectionSchema.safeParse([{ url: 'https://rekor.example', publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }]);
    expect(res.error!.issues.map((i) => i.path)).toEqual([[0, 'publicKey']]);
  });

  it.skipIf(rd.skip)('a collector stopped while its trusted root is still loading never starts polling', async () => {
    const bus = new MemoryBus();
    const section = rekorSectionSchema.parse([
      { url: 'https://rekor.sigstore.dev', trustedRoot: join(rd.dir, 'sigstore', 'trusted-roots', 'prod', 'trusted_root.json') },
    ]);
    const [spec] = rekorModule.components!(section, { dataDir: '/x', instance: 'i', publicUrl: undefined, facts: {} });
    const c = spec!.create({
      bus,
      state: new MemoryStateStore(),
      logger: silentLogger,
      metrics: noopMetrics,
      dataDir: '/x',
      keys: new MemoryKeyProvider(),
      fail: () => {},
      now: () => new Date(),
    });
    const starting = c.start();
    await c.stop(); // before the root (read from a file) is loaded
    await starting;
    await new Promise((r) => setTimeout(r, 100));
    expect(c.health?.()).toEqual({ ready: false });
    expect([...bus.events(topicFor('tlog')), ...bus.events(topicFor('rekor'))]).toEqual([]);
  });
});
