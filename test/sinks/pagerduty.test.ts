import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../core/index.js';
import { assertNoSecrets, notificationFor, openSignal, rejectionOf, rekorForkFinding, unexpectedSignerFinding } from '../../core/testing/index.js';
import { createPagerDutySink, PagerDutySink } from '../../sinks/pagerduty/index.js';
import { PagerDutyStandin } from '../standins/pagerduty.js';

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
    const n = notificationFor(rekorForkFinding, 'trigger');
    const res = await sink.deliver(n, openSignal());
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
    const first = await sink.deliver(notificationFor(unexpectedSignerFinding, 'trigger'), openSignal());
    await sink.deliver(notificationFor(unexpectedSignerFinding, 'update', { occurrences: 4, externalRef: first.externalRef! }), openSignal());
    const alert = pd.alerts.get(first.externalRef!)!;
    expect(pd.alerts.size).toBe(1);
    expect(alert.triggers).toBe(2);
    expect(alert.lastPayload).toMatchObject({ severity: 'error', summary: expect.stringContaining('(4x since ') });
    await sink.deliver(notificationFor(unexpectedSignerFinding, 'resolve', { externalRef: first.externalRef! }), openSignal());
    expect(alert.status).toBe('resolved');
  });

  it('maps every severity and fits long summaries and dedup keys into the limits', async () => {
    const long = { ...rekorForkFinding, severity: 'low' as const, summary: 's'.repeat(1000), dedupKey: 'k'.repeat(400) };
    const n = notificationFor(long, 'trigger', { occurrences: 2 });
    const res = await sink.deliver(n, openSignal());
    expect(res.externalRef!.length).toBeLessThanOrEqual(255);
    expect(pd.alerts.get(res.externalRef!)!.lastPayload).toMatchObject({ severity: 'info' });
    expect(sink.buildEvent(notificationFor({ ...rekorForkFinding, severity: 'medium' }, 'trigger')).payload!.severity).toBe('warning');
    expect(sink.buildEvent(notificationFor({ ...rekorForkFinding, severity: 'info' }, 'trigger')).payload!.severity).toBe('info');
  });

  it('an invalid event is a non-retriable 400', async () => {
    const wrong = createPagerDutySink({ name: 'x', routingKey: 'NotTheRightKeyButSecret000000000', baseUrl: pd.server.url });
    const delivery = wrong.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    const err = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(err, ['NotTheRightKeyButSecret000000000']);
    expect(err.status).toBe(400);
  });

  it('429 with Retry-After is retriable with retryAfterMs', async () => {
    pd.server.failNext(1, {
      status: 429,
      headers: { 'retry-after': '30' },
      body: '{"status":"throttle event","message":"Requests for this service are arriving too quickly."}',
    });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_RATE_LIMITED', { retriable: true });
    const err = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(err, [pd.routingKey]);
    expect(err.retryAfterMs).toBe(30_000);
  });

  it('5xx is retriable; 401 is a client error; neither leaks the routing key even when echoed', async () => {
    pd.server.failNext(1, { status: 502, body: `upstream failed for ${pd.routingKey}` });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_SERVER_ERROR', { retriable: true });
    assertNoSecrets(await rejectionOf(delivery), [pd.routingKey]);
    pd.server.failNext(1, { status: 401, body: `{"status":"unauthorized","message":"bad key ${pd.routingKey}"}` });
    const delivery2 = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery2).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    assertNoSecrets(await rejectionOf(delivery2), [pd.routingKey]);
  });

  it('a 2xx without dedup_key is a bad response', async () => {
    pd.server.failNext(1, { status: 202, body: '{"status":"success"}' });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_BAD_RESPONSE', { retriable: false });
    assertNoSecrets(await rejectionOf(delivery), [pd.routingKey]);
  });
});
