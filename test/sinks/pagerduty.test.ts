import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPagerDutySink, PagerDutySink } from '../../sinks/pagerduty/index.js';
import { PagerDutyStandin } from '../standins/pagerduty.js';
import { expectHttpError, notification, rekorFork, signal, unexpectedSigner } from './fixtures.js';

describe('PagerDutySink against the Events API v2 stand-in', () => {
  const pd = new PagerDutyStandin();
  let sink: PagerDutySink;

  beforeAll(async () => {
    await pd.start();
  });
  afterAll(() => pd.stop());
  beforeEach(() => {
    pd.alerts.clear();
    sink = createPagerDutySink({ name: 'soc-pd', routingKey: pd.routingKey, baseUrl: pd.server.url }) as PagerDutySink;
  });

  it('trigger opens one alert keyed by the finding dedupKey, with mapped severity and evidence', async () => {
    const n = notification(rekorFork, 'trigger');
    const res = await sink.deliver(n, signal());
    expect(res.externalRef).toBe(n.dedupKey);
    const alert = pd.alerts.get(n.dedupKey)!;
    expect(alert.status).toBe('triggered');
    expect(alert.lastPayload).toMatchObject({
      severity: 'critical',
      source: 'https://rekor.sigstore.dev',
      class: 'tlog.consistency_failed',
      component: 'tlog-consistency',
      group: 'security',
      timestamp: '2026-11-26T03:10:42.117Z',
      custom_details: { oldSize: 123456789, proofHashes: 27 },
    });
    const sent = pd.server.requests.at(-1)!.json as { links: { href: string }[] };
    expect(sent.links[0]!.href).toBe(n.auditUrl);
  });

  it('repeat appends to the same alert; resolve closes it using the stored externalRef', async () => {
    const first = await sink.deliver(notification(unexpectedSigner, 'trigger'), signal());
    await sink.deliver(notification(unexpectedSigner, 'update', { occurrences: 4, externalRef: first.externalRef! }), signal());
    const alert = pd.alerts.get(first.externalRef!)!;
    expect(pd.alerts.size).toBe(1);
    expect(alert.triggers).toBe(2);
    expect(alert.lastPayload).toMatchObject({ severity: 'error', summary: expect.stringContaining('(4x since ') });
    await sink.deliver(notification(unexpectedSigner, 'resolve', { externalRef: first.externalRef! }), signal());
    expect(alert.status).toBe('resolved');
  });

  it('maps every severity and fits long summaries and dedup keys into the limits', async () => {
    const long = { ...rekorFork, severity: 'low' as const, summary: 's'.repeat(1000), dedupKey: 'k'.repeat(400) };
    const n = notification(long, 'trigger', { occurrences: 2 });
    const res = await sink.deliver(n, signal());
    expect(res.externalRef!.length).toBeLessThanOrEqual(255);
    expect(pd.alerts.get(res.externalRef!)!.lastPayload).toMatchObject({ severity: 'info' });
    expect(sink.buildEvent(notification({ ...rekorFork, severity: 'medium' }, 'trigger')).payload!.severity).toBe('warning');
    expect(sink.buildEvent(notification({ ...rekorFork, severity: 'info' }, 'trigger')).payload!.severity).toBe('info');
  });

  it('an invalid event is a non-retriable 400', async () => {
    const wrong = createPagerDutySink({ name: 'x', routingKey: 'NotTheRightKeyButSecret000000000', baseUrl: pd.server.url });
    const err = await expectHttpError(() => wrong.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_CLIENT_ERROR', [
      'NotTheRightKeyButSecret000000000',
    ]);
    expect(err.status).toBe(400);
  });

  it('429 with Retry-After is retriable with retryAfterMs', async () => {
    pd.server.failNext(1, {
      status: 429,
      headers: { 'retry-after': '30' },
      body: '{"status":"throttle event","message":"Requests for this service are arriving too quickly."}',
    });
    const err = await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_RATE_LIMITED', [pd.routingKey]);
    expect(err.retryAfterMs).toBe(30_000);
  });

  it('5xx is retriable; 401 is a client error; neither leaks the routing key even when echoed', async () => {
    pd.server.failNext(1, { status: 502, body: `upstream failed for ${pd.routingKey}` });
    await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_SERVER_ERROR', [pd.routingKey]);
    pd.server.failNext(1, { status: 401, body: `{"status":"unauthorized","message":"bad key ${pd.routingKey}"}` });
    await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_CLIENT_ERROR', [pd.routingKey]);
  });

  it('a 2xx without dedup_key is a bad response', async () => {
    pd.server.failNext(1, { status: 202, body: '{"status":"success"}' });
    await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_BAD_RESPONSE', [pd.routingKey]);
  });
});
