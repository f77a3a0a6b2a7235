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
