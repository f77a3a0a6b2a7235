import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertSink } from '../../core/index.js';
import { createServiceNowSink, serviceNowCorrelationId } from '../../sinks/servicenow/index.js';
import { ServiceNowStandin } from '../standins/servicenow.js';
import { expectHttpError, notification, rekorFork, signal, unexpectedSigner } from './fixtures.js';

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
    const n = notification(rekorFork, 'trigger');
    const res = await sink.deliver(n, signal());
    const inc = snow.incidents.get(res.externalRef!)!;
    expect(inc.fields).toMatchObject({ correlation_id: n.dedupKey, urgency: '1', impact: '1', priority: '1', category: 'security', state: '1' });
    expect(inc.fields.short_description!.length).toBeLessThanOrEqual(160);
    expect(inc.fields.description).toContain('oldRoot: a3f1c6b2');
    expect(inc.fields.description).toContain(n.auditUrl);
  });

  it('repeat adds a work note; a restart without externalRef finds the incident by correlation_id', async () => {
    const first = await sink.deliver(notification(unexpectedSigner, 'trigger'), signal());
    await sink.deliver(notification(unexpectedSigner, 'update', { occurrences: 2, externalRef: first.externalRef! }), signal());
    const again = await make().deliver(notification(unexpectedSigner, 'update', { occurrences: 6 }), signal());
    expect(again.externalRef).toBe(first.externalRef);
    expect(snow.incidents.size).toBe(1);
    const inc = snow.incidents.get(first.externalRef!)!;
    expect(inc.fields).toMatchObject({ urgency: '1', impact: '2', priority: '2' });
    expect(inc.workNotes).toHaveLength(2);
    expect(inc.workNotes[1]).toContain('6 occurrences since');
    // The long dedup key does not fit correlation_id: a stable hash stands in.
    expect(inc.fields.correlation_id).toBe(serviceNowCorrelationId(unexpectedSigner.dedupKey));
    expect(inc.fields.correlation_id!.length).toBeLessThanOrEqual(100);
  });

  it('a redelivered trigger after a crash neither duplicates nor adds a note', async () => {
    const n = notification(rekorFork, 'trigger');
    const first = await sink.deliver(n, signal());
    expect((await make().deliver(n, signal())).externalRef).toBe(first.externalRef);
    expect(snow.incidents.size).toBe(1);
    expect(snow.incidents.get(first.externalRef!)!.workNotes).toHaveLength(0);
  });

  it('resolve sets state 6 with close_code and close_notes; the next trigger opens a new incident', async () => {
    const { externalRef } = await sink.deliver(notification(rekorFork, 'trigger'), signal());
    await sink.deliver(notification(rekorFork, 'resolve', { externalRef: externalRef! }), signal());
    const inc = snow.incidents.get(externalRef!)!;
    expect(inc.fields).toMatchObject({ state: '6', close_code: 'Solution provided' });
    expect(inc.fields.close_notes).toContain('Resolved by chainwatch');
    await sink.deliver(notification(rekorFork, 'resolve', { externalRef: externalRef! }), signal());
    expect(inc.workNotes).toHaveLength(1);
    const next = await sink.deliver(notification(rekorFork, 'trigger', { externalRef: externalRef! }), signal());
    expect(next.externalRef).not.toBe(externalRef);
    expect(snow.incidents.size).toBe(2);
  });

  it('bearer auth works too', async () => {
    const bearer = make({ auth: { token: snow.bearerToken } });
    await bearer.deliver(notification(rekorFork, 'trigger'), signal());
    expect(snow.incidents.size).toBe(1);
    expect(snow.server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${snow.bearerToken}`);
  });

  it('maps medium/low/info onto P3/P4/P5', async () => {
    for (const severity of ['medium', 'low', 'info'] as const)
      await sink.deliver(notification({ ...rekorFork, severity, dedupKey: `k-${severity}` }, 'trigger'), signal());
    expect([...snow.incidents.values()].map((i) => i.fields.priority)).toEqual(['3', '4', '5']);
  });

  it('401 is non-retriable and leaks neither password nor Basic credential', async () => {
    const wrong = 'Wr0ngButSecretPassword!!';
    const err = await expectHttpError(
      () => make({ auth: { username: snow.username, password: wrong } }).deliver(notification(rekorFork, 'trigger'), signal()),
      'HTTP_CLIENT_ERROR',
      [wrong, Buffer.from(`${snow.username}:${wrong}`).toString('base64')],
    );
    expect(err.status).toBe(401);
  });

  it('400 for an invalid choice (misconfigured category) is non-retriable', async () => {
    const err = await expectHttpError(
      () => make({ category: 'not-a-category' }).deliver(notification(rekorFork, 'trigger'), signal()),
      'HTTP_CLIENT_ERROR',
      secrets(),
    );
    expect(err.status).toBe(400);
  });

  it('403 data policy on a resolve without close_code is non-retriable', async () => {
    const { externalRef } = await sink.deliver(notification(rekorFork, 'trigger'), signal());
    snow.server.failNext(1, { status: 403, body: '{"error":{"message":"Operation Failed","detail":"Data Policy Exception"},"status":"failure"}' });
    await expectHttpError(() => sink.deliver(notification(rekorFork, 'resolve', { externalRef: externalRef! }), signal()), 'HTTP_CLIENT_ERROR', secrets());
  });

  it('429 with Retry-After and 5xx are retriable', async () => {
    snow.server.failNext(1, { status: 429, headers: { 'retry-after': '20' }, body: '{"error":{"message":"Rate limit exceeded"},"status":"failure"}' });
    const err = await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_RATE_LIMITED', secrets());
    expect(err.retryAfterMs).toBe(20_000);
    snow.server.failNext(1, { status: 500, body: '{"error":{"message":"Internal error"},"status":"failure"}' });
    await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_SERVER_ERROR', secrets());
  });
});
