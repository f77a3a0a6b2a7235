import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlertPipeline, createAlertPipeline, deadLetterCommands, listDeadLetters } from '../../sinks/alerts/index.js';

import {
  invokeCommand,
  makeFinding,
  type RecordedRequest,
  type RecordingServer,
  type Reply,
  startRecordingServer,
  type TestContext,
  testContext,
} from '../../core/testing/index.js';
import { createWebhookSink, verifyWebhookSignature, type WebhookPayload } from '../../sinks/webhook/index.js';

const SECRET = 'whsec-integration-test';

/** A receiver as we document it: verify over the raw body, 401 on a bad or stale signature. */
function receiver(script: (req: RecordedRequest, n: number) => Reply): Promise<RecordingServer> {
  let n = 0;
  return startRecordingServer((req) => {
    const check = verifyWebhookSignature(req.body, req.headers, SECRET, 300);
    if (!check.ok) return { status: 401, headers: { 'x-reason': check.reason } };
    return script(req, ++n);
  });
}

describe('webhook sink through the pipeline, against a local receiver', () => {
  let dir: string;
  let ctx: TestContext;
  let server: RecordingServer | undefined;
  let pipeline: AlertPipeline | undefined;

  afterEach(async () => {
    await pipeline?.stop();
    await server?.stop();
    pipeline = undefined;
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(url: string, sinkOver: Record<string, unknown> = {}, deps = {}): Promise<AlertPipeline> {
    dir = mkdtempSync(join(tmpdir(), 'cw-hook-'));
    ctx = testContext(dir, Date.now());
    pipeline = createAlertPipeline(
      { auditUrl: 'https://chainwatch.example/audit/{findingId}', delivery: { baseDelay: 20, maxDelay: 100, pollInterval: 50 } },
      ctx,
      [createWebhookSink({ name: 'hook', webhookUrl: url, secret: SECRET, ...sinkOver }, deps)],
    );
    await pipeline.start();
    return pipeline;
  }

  it('retries 429 (waiting Retry-After) and 5xx, then delivers once with a valid signature', async () => {
    server = await receiver((_req, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : n === 2 ? { status: 503 } : { status: 204 }));
    const p = await start(`${server.url}/hooks/T0K3N`);
    const f = makeFinding({ dedupKey: 'k' });
    const t0 = Date.now();
    p.ingest(f);
    expect(await p.drain(20_000)).toBe(true);
    expect(server.requests.map((r) => r.status)).toEqual([429, 503, 204]);
    expect(server.requests[1]!.headers['x-chainwatch-timestamp']).toBeDefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000); // Retry-After: 1
    const ids = new Set(server.requests.map((r) => r.headers['idempotency-key']));
    expect(ids.size).toBe(1); // the same notification id on every attempt
    const payload = JSON.parse(server.requests[2]!.body) as WebhookPayload;
    expect(payload).toMatchObject({ action: 'trigger', dedupKey: 'k', auditUrl: `https://chainwatch.example/audit/${f.findingId}` });
    expect(payload.finding.evidence).toEqual(f.evidence);
    expect(ctx.metrics.get('sink_delivery_retries_total', { sink: 'hook' })).toBe(2);
  });

  it('a stale timestamp is refused by the receiver (401): not retried, dead-lettered, replayable from the CLI', async () => {
    server = await receiver(() => ({ status: 200 }));
    let skew = 3600; // the sender's clock is an hour behind: the receiver sees a replay-aged request
    const p = await start(server.url, {}, { nowSec: () => Math.floor(Date.now() / 1000) - skew });
    p.ingest(makeFinding({ dedupKey: 'stale' }));
    expect(await p.drain(20_000)).toBe(true);
    expect(server.requests.map((r) => r.status)).toEqual([401]);
    const [dead] = listDeadLetters(p.dbFile);
    expect([dead!.code, dead!.attempts]).toEqual(['HTTP_CLIENT_ERROR', 1]);

    const [list, replay] = deadLetterCommands;
    const listed = await invokeCommand(list!, ['--data-dir', dir, '--json']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.out) as { id: string }[]).map((d) => d.id)).toEqual([dead!.id]);
    skew = 0;
    expect((await invokeCommand(replay!, ['--all', '--sink', 'hook', '--data-dir', dir])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(await p.drain(20_000)).toBe(true);
    expect(server.requests.map((r) => r.status)).toEqual([401, 200]);
    expect(server.requests[1]!.headers['idempotency-key']).toBe(dead!.id);
  });

  it('a wrong key is refused (401) and dead-lettered', async () => {
    server = await receiver(() => ({ status: 200 }));
    const p = await start(server.url, { secret: 'not-the-shared-key' });
    p.ingest(makeFinding({ dedupKey: 'badkey' }));
    expect(await p.drain(20_000)).toBe(true);
    expect(listDeadLetters(p.dbFile).map((d) => d.code)).toEqual(['HTTP_CLIENT_ERROR']);
    expect(JSON.stringify(listDeadLetters(p.dbFile))).not.toContain('not-the-shared-key');
  });
});
