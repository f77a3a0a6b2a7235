import { describe, expect, it } from 'vitest';
import { HttpError } from '../../core/index.js';
import { makeNotification } from '../../core/testing/index.js';
import { signWebhook, verifyWebhookSignature } from './signature.js';
import { createWebhookSink } from './webhook.js';

const secret = 'whsec-test-0123456789';

describe('webhook signature', () => {
  const body = '{"hello":"world"}';
  const now = 1_767_225_600;
  const headers = (ts: number, b = body, key = secret) => ({ 'X-Chainwatch-Timestamp': String(ts), 'X-Chainwatch-Signature': signWebhook(b, key, ts) });

  it('accepts a fresh, correctly signed body', () => {
    expect(verifyWebhookSignature(body, headers(now - 10), secret, 300, now)).toEqual({ ok: true, timestampSec: now - 10 });
  });
  it('rejects stale or future timestamps (replay protection)', () => {
    expect(verifyWebhookSignature(body, headers(now - 301), secret, 300, now)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature(body, headers(now + 301), secret, 300, now)).toEqual({ ok: false, reason: 'stale' });
  });
  it('rejects a changed body, a wrong key, a timestamp swapped onto an old signature', () => {
    expect(verifyWebhookSignature(`${body} `, headers(now), secret, 300, now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature(body, headers(now, body, 'other'), secret, 300, now)).toEqual({ ok: false, reason: 'mismatch' });
    const old = headers(now - 1000);
    expect(verifyWebhookSignature(body, { ...old, 'X-Chainwatch-Timestamp': String(now) }, secret, 300, now)).toEqual({ ok: false, reason: 'mismatch' });
  });
  it('rejects missing and malformed headers', () => {
    expect(verifyWebhookSignature(body, {}, secret, 300, now)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyWebhookSignature(body, { 'x-chainwatch-timestamp': 'yesterday', 'x-chainwatch-signature': 'sha256=00' }, secret, 300, now)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
  it('reads a Headers object too', () => {
    const h = new Headers(headers(now));
    expect(verifyWebhookSignature(Buffer.from(body), h, secret, 300, now).ok).toBe(true);
  });
});

describe('WebhookSink', () => {
  it('posts a signed JSON payload with the notification id as idempotency key', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const sink = createWebhookSink(
      { name: 'hook', webhookUrl: 'https://hooks.example/T0K3N', secret, headers: { 'x-tenant': 'acme' } },
      {
        fetch: async (url, init) => (seen.push({ url: url instanceof Request ? url.url : url.toString(), init: init! }), new Response('ok')),
        nowSec: () => 1_767_225_600,
      },
    );
    const n = makeNotification();
    await sink.deliver(n, new AbortController().signal);
    const { url, init } = seen[0]!;
    const h = init.headers as Record<string, string>;
    expect(url).toBe('https://hooks.example/T0K3N');
    expect(h['idempotency-key']).toBe(n.id);
    expect(h['x-tenant']).toBe('acme');
    expect(verifyWebhookSignature(init.body as string, h, secret, 300, 1_767_225_600).ok).toBe(true);
    const payload = JSON.parse(init.body as string);
    expect(payload).toMatchObject({ version: 1, id: n.id, action: 'trigger', auditUrl: n.auditUrl, finding: { evidence: n.finding.evidence } });
  });

  it('classifies 429 (with Retry-After), 5xx, 4xx and network errors, never echoing the URL', async () => {
    const respond =
      (status: number, headers: Record<string, string> = {}) =>
      async () =>
        new Response('no', { status, headers });
    const cases: [typeof fetch, string, boolean, number | undefined][] = [
      [respond(429, { 'retry-after': '7' }), 'HTTP_RATE_LIMITED', true, 7000],
      [respond(503), 'HTTP_SERVER_ERROR', true, undefined],
      [respond(404), 'HTTP_CLIENT_ERROR', false, undefined],
      [
        async () => {
          throw new TypeError('fetch failed https://hooks.example/T0K3N');
        },
        'HTTP_UNREACHABLE',
        true,
        undefined,
      ],
    ];
    for (const [f, code, retriable, retryAfterMs] of cases) {
      const sink = createWebhookSink({ name: 'hook', webhookUrl: 'https://hooks.example/T0K3N' }, { fetch: f });
      const delivery = sink.deliver(makeNotification(), new AbortController().signal);
      await expect(delivery).rejects.toThrowWithCode(HttpError, code, { retriable, retryAfterMs });
      const err = await delivery.catch((e: unknown) => e);
      expect(JSON.stringify({ m: (err as Error).message, c: String((err as Error).cause) })).not.toContain('T0K3N');
    }
  });

  it('keeps the URL and key out of logs and JSON', () => {
    const sink = createWebhookSink({ name: 'hook', webhookUrl: 'https://hooks.example/T0K3N', secret });
    expect(JSON.stringify(sink)).not.toContain('T0K3N');
    expect(JSON.stringify(sink)).not.toContain(secret);
  });
});
