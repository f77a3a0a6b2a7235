import { describe, expect, it } from 'vitest';
import { HttpError } from '../../core/index.js';
import { makeNotification } from '../../core/testing/index.js';
import { createAlertmanagerSink, toAlertmanagerAlert } from './alertmanager.js';

const cfg = { ttl: 3_600_000, labels: { cluster: 'prod' } };
const now = Date.parse('2026-01-01T01:00:00Z');

describe('Alertmanager alert mapping', () => {
  it('carries identity labels, annotations with evidence and audit link, and a future endsAt', () => {
    const n = makeNotification({ occurrences: 3 }, { labels: { 'team.name': 'sec' }, tenant: 'acme' });
    const a = toAlertmanagerAlert(n, cfg, now);
    expect(a.labels).toMatchObject({
      alertname: n.finding.rule,
      severity: 'critical',
      category: 'security',
      dedupKey: n.dedupKey,
      subject: n.finding.subject,
      route: 'security',
      tenant: 'acme',
      cluster: 'prod',
      team_name: 'sec',
    });
    expect(a.annotations).toMatchObject({ summary: n.finding.summary, audit_url: n.auditUrl, occurrences: '3', notification_id: n.id });
    expect(JSON.parse(a.annotations.evidence!)).toEqual(n.finding.evidence);
    expect(a.startsAt).toBe(n.firstSeen);
    expect(a.endsAt).toBe(new Date(now + 3_600_000).toISOString());
    expect(a.generatorURL).toBe(n.auditUrl);
  });

  it("resolves with the trigger's label set and endsAt = now", () => {
    const trigger = toAlertmanagerAlert(makeNotification(), cfg, now);
    const resolve = toAlertmanagerAlert(makeNotification({ action: 'resolve', externalRef: JSON.stringify(trigger.labels) }, { severity: 'info' }), cfg, now);
    expect(resolve.labels).toEqual(trigger.labels);
    expect(resolve.endsAt).toBe(new Date(now).toISOString());
  });
});

describe('AlertmanagerSink', () => {
  it('posts one alert to /api/v2/alerts with auth and returns the label set as externalRef', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const sink = createAlertmanagerSink(
      { name: 'am', url: 'http://am.example:9093/', token: 's3cr3t' },
      { fetch: async (url, init) => (calls.push({ url: url instanceof Request ? url.url : url.toString(), init: init! }), new Response('')), now: () => now },
    );
    const res = await sink.deliver(makeNotification(), new AbortController().signal);
    expect(calls[0]!.url).toBe('http://am.example:9093/api/v2/alerts');
    expect((calls[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer s3cr3t');
    const body = JSON.parse(calls[0]!.init.body as string) as { labels: Record<string, string> }[];
    expect(body).toHaveLength(1);
    expect(JSON.parse(res.externalRef!)).toEqual(body[0]!.labels);
  });

  it('maps a 400 (invalid alert) to a non-retriable HttpError', async () => {
    const sink = createAlertmanagerSink({ name: 'am', url: 'http://am.example:9093' }, { fetch: async () => new Response('bad', { status: 400 }) });
    await expect(sink.deliver(makeNotification(), new AbortController().signal)).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
  });
});
