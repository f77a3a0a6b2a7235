import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { Secret } from '../core/index.js';
import { startRecordingServer } from '../core/testing/index.js';
import { loadConfig } from './config/load.js';
import { Redactor } from './config/secrets.js';
import { createLogger } from './logger.js';
import { startTracing } from './tracing.js';

describe('tracing', () => {
  it('exports to an endpoint with credentials and auth headers from secrets, and logs the endpoint without them', async () => {
    const collector = await startRecordingServer(() => ({ status: 200, body: {} }));
    const { port } = new URL(collector.url);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'cw-tracing-'));
      const file = join(dir, 'chainwatch.yaml');
      writeFileSync(file, `tracing:\n  otlpEndpoint: { env: OTLP_URL }\n  headers:\n    Authorization: { env: OTLP_AUTH }\n    x-tenant: team-a\n`);
      const env = { OTLP_URL: `http://otlp-user:otlp-pa55word@127.0.0.1:${port}/v1/traces?api_key=otlp-k3y-value`, OTLP_AUTH: 'Bearer otlp-bearer-t0ken' };
      const { config } = loadConfig({ file, env });
      expect(config.tracing.otlpEndpoint).toBeInstanceOf(Secret);
      const lines: string[] = [];
      // An empty Redactor: the line must be safe by itself, not only after value scrubbing.
      const logger = createLogger('info', new Redactor(), new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
      const tracing = await startTracing(config.tracing, logger);
      trace.getTracer('test').startSpan('one').end();
      await tracing.stop();
      const out = lines.join('');
      expect(out).toContain(`http://127.0.0.1:${port}/v1/traces`);
      for (const s of ['otlp-user', 'otlp-pa55word', 'api_key', 'otlp-k3y-value', 'otlp-bearer-t0ken']) expect(out).not.toContain(s);
      const received = collector.requests.map((r) => r.headers);
      expect(received.length).toBeGreaterThan(0);
      expect(received[0]).toMatchObject({ authorization: 'Bearer otlp-bearer-t0ken', 'x-tenant': 'team-a' });
    } finally {
      trace.disable();
      await collector.stop();
    }
  });
});
