/**
 * OpenTelemetry: with tracing.otlpEndpoint set, the daemon exports a span per handled event over
 * OTLP/HTTP (here to a local receiver); without it, nothing is sent anywhere.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { built, runCli, startDaemon } from '../helpers/daemon-process.js';

describe.skipIf(!built())('daemon tracing', () => {
  it('exports spans named after the topic of each handled event to the OTLP endpoint', async () => {
    const bodies: { path: string; body: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'cw-otel-'));
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(
      cfg,
      `tracing:\n  otlpEndpoint: http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces\n  serviceName: chainwatch-test\nsinks:\n  journal:\n    path: journal.jsonl\n`,
    );
    const d = await startDaemon(['--config', cfg, '--data-dir', dir]);
    try {
      const ev = JSON.stringify({ specversion: '1.0', id: 'otel-1', source: 'urn:t', type: 'dev.chainwatch.system.probe.v1', subject: 's', data: { seq: 1 } });
      expect((await runCli(['events', 'publish', 'system', '--data-dir', dir], ev)).code).toBe(0);
      await vi.waitFor(
        async () =>
          expect(
            (await runCli(['audit', 'query', '--type', 'dev.chainwatch.system.probe.v1', '--json', '--data-dir', dir])).stdout.includes('otel-1'),
            'event handled',
          ).toBe(true),
        { timeout: 30_000, interval: 100 },
      );
      d.child.kill('SIGTERM'); // shutdown flushes the batch span processor
      expect(await d.exited).toBe(0);
      const all = Buffer.concat(bodies.map((b) => b.body)).toString('latin1');
      expect(bodies.every((b) => b.path === '/v1/traces')).toBe(true);
      expect(all).toContain('handle chainwatch.system');
      expect(all).toContain('chainwatch-test');
      expect(all).toContain('dev.chainwatch.system.probe.v1');
    } finally {
      d.child.kill('SIGKILL');
      server.close();
    }
  });
});
