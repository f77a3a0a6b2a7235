import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Redactor } from './config/secrets.js';
import { createLogger } from './logger.js';

describe('logger', () => {
  it('scrubs resolved secret values wherever they appear and secret keys by name', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const r = new Redactor();
    r.add('hunter2-super-secret');
    const log = createLogger('info', r, sink);
    log.error({ url: 'https://hooks.example/T0/hunter2-super-secret', password: 'other-value' }, 'delivery to hunter2-super-secret failed');
    const out = lines.join('');
    expect(out).not.toContain('hunter2-super-secret');
    expect(out).not.toContain('other-value');
    expect(out).toContain('[REDACTED]');
  });
});

describe('logger after a config reload', () => {
  it('scrubs secrets a later config brings, even when the first one had none', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadConfig } = await import('./config/load.js');
    const dir = mkdtempSync(join(tmpdir(), 'cw-log-'));
    const file = join(dir, 'chainwatch.yaml');
    writeFileSync(file, `dataDir: ${JSON.stringify(dir)}\n`);
    const first = loadConfig({ file, env: {} });
    expect(first.redactor.size).toBe(0);
    const lines: string[] = [];
    const log = createLogger('info', first.redactor, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    // The reload: a receiver with a secret URL, resolved into the logger's own Redactor.
    writeFileSync(
      file,
      `dataDir: ${JSON.stringify(dir)}\nsinks:\n  alerts:\n    receivers:\n      - { name: hook, kind: webhook, webhookUrl: { env: HOOK }, secret: abcdefgh }\n`,
    );
    loadConfig({ file, env: { HOOK: 'https://hooks.example/rotated-token-4711' }, redactor: first.redactor });
    log.warn({ target: 'https://hooks.example/rotated-token-4711' }, 'delivery failed');
    expect(lines.join('')).not.toContain('rotated-token-4711');
  });
});
