import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../core/index.js';
import { assertNoSecrets, notificationFor, openSignal, rejectionOf, rekorForkFinding, unexpectedSignerFinding } from '../../core/testing/index.js';
import type { AlertSink } from '../../core/index.js';
import { createServiceNowSink, serviceNowCorrelationId } from '../../sinks/servicenow/index.js';
import { ServiceNowStandin } from '../standins/servicenow.js';

describe('ServiceNowSink against the Table API stand-in', () => {
  const snow = new ServiceNowStandin();
  let sink: AlertSink;
  const secrets = (): string[] => [snow.password, snow.bearerToken, Buffer.from(`${snow.username}:${snow.password}`).toString('base64')];
  const make = (over: Record<string, unknown> = {}): AlertSink =>
    createServiceNowSink({
      name: 'snow',
      instanceUrl: snow.server.url,
      auth: { username: snow.username, password: snow.password },
      category: 'security',
      ...over,
    });

  beforeAll(async () => {
    await snow.start();
  });
  afterAll(() => snow.stop());
  beforeEach(() => {
    snow.reset();
    sink = make();
  });

  it('trigger creates one incident with correlation_id, mapped urgency/impact and the finding text', async () => {
    const n = notificationFor(rekorForkFinding, 'trigger');
    const res = await sink.deliver(n, openSignal());
    const inc = snow.incidents.get(res.externalRef!)!;
    expect(inc.fields).toMatchObject({ correlation_id: n.dedupKey, urgency: '1', impact: '1', priority: '1', category: 'security', state: '1' });
    expect(inc.fields.short_description!.length).toBeLessThanOrEqual(160);
    expect(inc.fields.description).toContain('oldRoot: a3f1c6b2');
    expect(inc.fields.description).toContain(n.auditUrl);
  });

  it('repeat adds a work note; a restart without externalRef finds the incident by correlation_id', async () => {
    const first = await sink.deliver(notificationFor(unexpectedSignerFinding, 'trigger'), openSignal());
    await sink.deliver(notificationFor(unexpectedSignerFinding, 'update', { occurrences: 2, externalRef: first.externalRef! }), openSignal());
    const again = await make().deliver(notificationFor(unexpectedSignerFinding, 'update', { occurrences: 6 }), openSignal());
    expect(again.externalRef).toBe(first.externalRef);
    expect(snow.incidents.size).toBe(1);
    const inc = snow.incidents.get(first.externalRef!)!;
    expect(inc.fields).toMatchObject({ urgency: '1', impact: '2', priority: '2' });
    expect(inc.workNotes).toHaveLength(2);
    expect(inc.workNotes[1]).toContain('6 occurrences since');
    // The long dedup key does not fit correlation_id: a stable hash stands in.
    expect(inc.fields.correlation_id).toBe(serviceNowCorrelationId(unexpectedSignerFinding.dedupKey));
    expect(inc.fields.correlation_id!.length).toBeLessThanOrEqual(100);
  });

  it('a redelivered trigger after a crash neither duplicates nor adds a note', async () => {
    const n = notificationFor(rekorForkFinding, 'trigger');
    const first = await sink.deliver(n, openSignal());
    expect((await make().deliver(n, openSignal())).externalRef).toBe(first.externalRef);
    expect(snow.incidents.size).toBe(1);
    expect(snow.incidents.get(first.externalRef!)!.workNotes).toHaveLength(0);
  });

  it('resolve sets state 6 with close_code and close_notes; the next trigger opens a new incident', async () => {
    const { externalRef } = await sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await sink.deliver(notificationFor(rekorForkFinding, 'resolve', { externalRef: externalRef! }), openSignal());
    const inc = snow.incidents.get(externalRef!)!;
    expect(inc.fields).toMatchObject({ state: '6', close_code: 'Solution provided' });
    expect(inc.fields.close_notes).toContain('Resolved by chainwatch');
    await sink.deliver(notificationFor(rekorForkFinding, 'resolve', { externalRef: externalRef! }), openSignal());
    expect(inc.workNotes).toHaveLength(1);
    const next = await sink.deliver(notificationFor(rekorForkFinding, 'trigger', { externalRef: externalRef! }), openSignal());
    expect(next.externalRef).not.toBe(externalRef);
    expect(snow.incidents.size).toBe(2);
  });

  it('bearer auth works too', async () => {
    const bearer = make({ auth: { token: snow.bearerToken } });
    await bearer.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    expect(snow.incidents.size).toBe(1);
    expect(snow.server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${snow.bearerToken}`);
  });

  it('maps medium/low/info onto P3/P4/P5', async () => {
    for (const severity of ['medium', 'low', 'info'] as const)
      await sink.deliver(notificationFor({ ...rekorForkFinding, severity, dedupKey: `k-${severity}` }, 'trigger'), openSignal());
    expect([...snow.incidents.values()].map((i) => i.fields.priority)).toEqual(['3', '4', '5']);
  });

  it('401 is non-retriable and leaks neither password nor Basic credential', async () => {
    const wrong = 'Wr0ngButSecretPassword!!';
    const delivery = make({ auth: { username: snow.username, password: wrong } }).deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    const err = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(err, [wrong, Buffer.from(`${snow.username}:${wrong}`).toString('base64')]);
    expect(err.status).toBe(401);
  });

  it('400 for an invalid choice (misconfigured category) is non-retriable', async () => {
    const delivery = make({ category: 'not-a-category' }).deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    const err = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(err, secrets());
    expect(err.status).toBe(400);
  });

  it('403 data policy on a resolve without close_code is non-retriable', async () => {
    const { externalRef } = await sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    snow.server.failNext(1, { status: 403, body: '{"error":{"message":"Operation Failed","detail":"Data Policy Exception"},"status":"failure"}' });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'resolve', { externalRef: externalRef! }), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    assertNoSecrets(await rejectionOf(delivery), secrets());
  });

  it('429 with Retry-After and 5xx are retriable', async () => {
    snow.server.failNext(1, { status: 429, headers: { 'retry-after': '20' }, body: '{"error":{"message":"Rate limit exceeded"},"status":"failure"}' });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_RATE_LIMITED', { retriable: true });
    const err = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(err, secrets());
    expect(err.retryAfterMs).toBe(20_000);
    snow.server.failNext(1, { status: 500, body: '{"error":{"message":"Internal error"},"status":"failure"}' });
    const delivery2 = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery2).rejects.toThrowWithCode(HttpError, 'HTTP_SERVER_ERROR', { retriable: true });
    assertNoSecrets(await rejectionOf(delivery2), secrets());
  });
});
