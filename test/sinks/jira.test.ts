import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../core/index.js';
import { assertNoSecrets, notificationFor, openSignal, rejectionOf, rekorForkFinding, unexpectedSignerFinding } from '../../core/testing/index.js';
import { createJiraSink, jiraDedupLabel, descriptionDoc } from '../../sinks/jira/index.js';
import type { AlertSink } from '../../core/index.js';
import { JiraStandin } from '../standins/jira.js';
import { checkAdf } from '../standins/jira-adf.js';
import { SinkError } from '../../sinks/shared/index.js';

describe('JiraSink against the Jira Cloud v3 stand-in', () => {
  const jira = new JiraStandin();
  let sink: AlertSink;
  const secrets = (): string[] => [jira.apiToken, Buffer.from(`${jira.email}:${jira.apiToken}`).toString('base64')];
  const make = (over: Record<string, unknown> = {}): AlertSink =>
    createJiraSink({ name: 'sec-jira', baseUrl: jira.server.url, email: jira.email, apiToken: jira.apiToken, projectKey: 'SEC', ...over });

  beforeAll(async () => {
    await jira.start();
  });
  afterAll(() => jira.stop());
  beforeEach(() => {
    jira.reset();
    sink = make();
  });

  it('trigger opens one issue with an ADF description, dedup label and mapped priority', async () => {
    const n = notificationFor(rekorForkFinding, 'trigger');
    const res = await sink.deliver(n, openSignal());
    expect(res.externalRef).toBe('SEC-1');
    expect(jira.issues.size).toBe(1);
    const issue = jira.issues.get('SEC-1')!;
    expect(issue.fields.labels).toContain(jiraDedupLabel(n.dedupKey));
    expect(issue.fields.labels).toContain('chainwatch');
    expect(issue.fields.priority).toEqual({ name: 'Highest' });
    expect(checkAdf(issue.fields.description)).toEqual([]);
    expect(JSON.stringify(issue.fields.description)).toContain(n.auditUrl);
  });

  it('repeat comments on the open issue; a restart without externalRef finds it by label', async () => {
    const first = await sink.deliver(notificationFor(unexpectedSignerFinding, 'trigger'), openSignal());
    await sink.deliver(notificationFor(unexpectedSignerFinding, 'update', { occurrences: 5, externalRef: first.externalRef! }), openSignal());
    const restarted = make();
    const again = await restarted.deliver(notificationFor(unexpectedSignerFinding, 'update', { occurrences: 9 }), openSignal());
    expect(again.externalRef).toBe(first.externalRef);
    expect(jira.issues.size).toBe(1);
    const issue = jira.issues.get(first.externalRef!)!;
    expect(issue.comments).toHaveLength(2);
    expect(JSON.stringify(issue.comments[1])).toContain('9 occurrences since');
    expect(issue.comments.every((c) => checkAdf(c).length === 0)).toBe(true);
  });

  it('a redelivered trigger (crash after create, before recording) neither duplicates nor comments', async () => {
    const n = notificationFor(rekorForkFinding, 'trigger');
    await sink.deliver(n, openSignal());
    const res = await make().deliver(n, openSignal());
    expect(res.externalRef).toBe('SEC-1');
    expect(jira.issues.size).toBe(1);
    expect(jira.issues.get('SEC-1')!.comments).toHaveLength(0);
  });

  it('resolve comments and runs the Done transition; the next trigger opens a new issue', async () => {
    const { externalRef } = await sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    const res = await sink.deliver(notificationFor(rekorForkFinding, 'resolve', { externalRef: externalRef! }), openSignal());
    expect(res.externalRef).toBe(externalRef);
    const issue = jira.issues.get(externalRef!)!;
    expect(issue.status).toBe('Done');
    expect(issue.comments).toHaveLength(1);
    // Redelivered resolve: nothing open, nothing to do.
    await sink.deliver(notificationFor(rekorForkFinding, 'resolve', { externalRef: externalRef! }), openSignal());
    expect(issue.comments).toHaveLength(1);
    const next = await sink.deliver(notificationFor(rekorForkFinding, 'trigger', { externalRef: externalRef! }), openSignal());
    expect(next.externalRef).toBe('SEC-2');
  });

  it('priorities: partial overrides fall back to the defaults; false sends none', async () => {
    await make({ priorities: { critical: 'High' } }).deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await make({ priorities: { critical: 'High' } }).deliver(notificationFor(unexpectedSignerFinding, 'trigger'), openSignal());
    await make({ priorities: false }).deliver(notificationFor({ ...rekorForkFinding, dedupKey: 'other-key' }, 'trigger'), openSignal());
    expect([...jira.issues.values()].map((i) => i.fields.priority)).toEqual([{ name: 'High' }, { name: 'High' }, undefined]);
  });

  it('a workflow without the configured transition is a non-retriable error', async () => {
    const other = make({ doneTransition: 'Close Issue' });
    await other.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    const resolve = other.deliver(notificationFor(rekorForkFinding, 'resolve'), openSignal());
    await expect(resolve).rejects.toThrowWithCode(SinkError, 'SINK_CONFIG', { retriable: false });
    assertNoSecrets(await resolve.catch((e: unknown) => e), secrets());
  });

  it('oversized findings still produce a valid issue', async () => {
    const huge = { ...rekorForkFinding, summary: `line one\nline two ${'x'.repeat(900)}`, evidence: { blob: 'y'.repeat(60_000) } };
    await sink.deliver(notificationFor(huge, 'trigger'), openSignal());
    expect(jira.issues.size).toBe(1);
    expect(JSON.stringify(descriptionDoc(notificationFor(huge, 'trigger'))).length).toBeLessThan(32_767);
  });

  it('400 from a rejected field is non-retriable HTTP_CLIENT_ERROR', async () => {
    const other = make({ issueType: 'Epic-That-Does-Not-Exist' });
    const delivery = other.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    const err = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(err, secrets());
    expect(err.status).toBe(400);
    expect(jira.issues.size).toBe(0);
  });

  it('401 (bad token) is non-retriable and never leaks the token or the Basic credential', async () => {
    const other = make({ apiToken: 'ATATT3xWrongTokenButStillSecret111' });
    const delivery = other.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    const err = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(err, ['ATATT3xWrongTokenButStillSecret111']);
    expect(err.status).toBe(401);
  });

  it('429 with Retry-After is retriable with retryAfterMs; 5xx is retriable', async () => {
    jira.server.failNext(1, { status: 429, headers: { 'retry-after': '12' }, body: '{"errorMessages":["Rate limit exceeded"]}' });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_RATE_LIMITED', { retriable: true });
    const err = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(err, secrets());
    expect(err.retryAfterMs).toBe(12_000);
    jira.server.failNext(1, { status: 503, body: 'upstream unavailable' });
    const delivery2 = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery2).rejects.toThrowWithCode(HttpError, 'HTTP_SERVER_ERROR', { retriable: true });
    assertNoSecrets(await rejectionOf(delivery2), secrets());
    expect(jira.issues.size).toBe(0);
  });

  it('the ADF checker rejects what Jira rejects', () => {
    expect(checkAdf('plain text')).not.toEqual([]);
    expect(checkAdf({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }] })).not.toEqual([]);
    expect(checkAdf({ type: 'doc', version: 1, content: [{ type: 'text', text: 'bare' }] })).not.toEqual([]);
    expect(
      checkAdf({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x', marks: [{ type: 'link' }] }] }] }),
    ).not.toEqual([]);
  });
});
