import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../core/index.js';
import { assertNoSecrets, notificationFor, openSignal, rejectionOf, rekorForkFinding, unexpectedSignerFinding } from '../../core/testing/index.js';
import type { AlertSink } from '../../core/index.js';
import { createGitHubSink, githubDedupLabel, githubRateLimit } from '../../sinks/github/index.js';
import { GitHubStandin } from '../standins/github.js';
import { operation } from '../standins/github-openapi.js';

describe('GitHubSink against the OpenAPI-checked GitHub stand-in', () => {
  const gh = new GitHubStandin();
  let sink: AlertSink;
  const make = (over: Record<string, unknown> = {}): AlertSink =>
    createGitHubSink({ name: 'gh-issues', baseUrl: gh.server.url, owner: gh.owner, repo: gh.repo, token: gh.token, ...over });

  beforeAll(async () => {
    await gh.start();
  });
  afterAll(() => gh.stop());
  beforeEach(() => {
    gh.reset();
    sink = make();
  });

  it('trigger opens one issue with markdown body and the dedup label; every request fits the spec', async () => {
    const n = notificationFor(rekorForkFinding, 'trigger');
    const res = await sink.deliver(n, openSignal());
    expect(res.externalRef).toBe('1');
    const issue = gh.issues.get(1)!;
    expect(issue.labels).toEqual(['chainwatch', githubDedupLabel(n.dedupKey)]);
    expect(githubDedupLabel(n.dedupKey).length).toBeLessThanOrEqual(50);
    expect(issue.title.length).toBeLessThanOrEqual(256);
    expect(issue.body).toContain('### Evidence');
    expect(issue.body).toContain(n.auditUrl);
    expect(gh.server.requests.every((r) => r.headers['x-github-api-version'] === '2022-11-28' && r.headers.accept === 'application/vnd.github+json')).toBe(
      true,
    );
    expect(gh.lastInvalid).toBe('');
  });

  it('repeat comments; a restart without externalRef finds the open issue by label (skipping PRs)', async () => {
    const first = await sink.deliver(notificationFor(unexpectedSignerFinding, 'trigger'), openSignal());
    gh.addPullRequest([githubDedupLabel(unexpectedSignerFinding.dedupKey)]);
    await sink.deliver(notificationFor(unexpectedSignerFinding, 'update', { occurrences: 3, externalRef: first.externalRef! }), openSignal());
    const again = await make().deliver(notificationFor(unexpectedSignerFinding, 'update', { occurrences: 8 }), openSignal());
    expect(again.externalRef).toBe(first.externalRef);
    expect([...gh.issues.values()].filter((i) => !i.pull_request)).toHaveLength(1);
    const issue = gh.issues.get(Number(first.externalRef))!;
    expect(issue.comments).toHaveLength(2);
    expect(issue.comments[1]).toContain('8 occurrences since');
  });

  it('a redelivered trigger after a crash neither duplicates nor comments', async () => {
    const n = notificationFor(rekorForkFinding, 'trigger');
    await sink.deliver(n, openSignal());
    expect((await make().deliver(n, openSignal())).externalRef).toBe('1');
    expect(gh.issues.size).toBe(1);
    expect(gh.issues.get(1)!.comments).toHaveLength(0);
  });

  it('resolve comments and closes as completed; a later trigger opens a new issue', async () => {
    const { externalRef } = await sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await sink.deliver(notificationFor(rekorForkFinding, 'resolve', { externalRef: externalRef! }), openSignal());
    const issue = gh.issues.get(1)!;
    expect(issue.state).toBe('closed');
    expect(issue.state_reason).toBe('completed');
    expect(issue.comments).toHaveLength(1);
    await sink.deliver(notificationFor(rekorForkFinding, 'resolve', { externalRef: externalRef! }), openSignal());
    expect(issue.comments).toHaveLength(1);
    expect((await sink.deliver(notificationFor(rekorForkFinding, 'trigger', { externalRef: externalRef! }), openSignal())).externalRef).toBe('2');
  });

  it('the stand-in rejects bodies that break the published schema with 422', () => {
    const create = operation('POST', '/repos/{owner}/{repo}/issues');
    expect(create.body!({ body: 'no title' })).toBe(false);
    expect(create.body!({ title: 't', labels: 'not-an-array' })).toBe(false);
    const update = operation('PATCH', '/repos/{owner}/{repo}/issues/{issue_number}');
    expect(update.body!({ state: 'closed', state_reason: 'fixed' })).toBe(false);
    expect(update.body!({ state: 'closed', state_reason: 'completed' })).toBe(true);
    expect(operation('GET', '/repos/{owner}/{repo}/issues').query({ state: 'opened' })).toBe(false);
  });

  it('401 bad credentials is non-retriable and the token never appears', async () => {
    const bad = 'github_pat_11WRONG0000000000000secret_abcdef';
    const delivery = make({ token: bad }).deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    const err = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(err, [bad, gh.token]);
    expect(err.status).toBe(401);
  });

  it('422 validation failures and 403 permission errors are non-retriable', async () => {
    gh.server.failNext(1, { status: 403, body: '{"message":"Resource not accessible by personal access token"}' });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    assertNoSecrets(await rejectionOf(delivery), [gh.token]);
    gh.server.failNext(1, { status: 422, body: '{"message":"Validation Failed"}' });
    const delivery2 = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery2).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    assertNoSecrets(await rejectionOf(delivery2), [gh.token]);
  });

  it('primary rate limit (403, remaining 0) waits until x-ratelimit-reset; secondary (429) honours retry-after', async () => {
    const reset = Math.floor(Date.now() / 1000) + 60;
    gh.server.failNext(1, {
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: '{"message":"API rate limit exceeded"}',
    });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_RATE_LIMITED', { retriable: true });
    const primary = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(primary, [gh.token]);
    expect(primary.retryAfterMs).toBeGreaterThan(50_000);
    expect(primary.retryAfterMs).toBeLessThanOrEqual(60_000);
    gh.server.failNext(1, { status: 429, headers: { 'retry-after': '45' }, body: '{"message":"You have exceeded a secondary rate limit"}' });
    const delivery2 = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery2).rejects.toThrowWithCode(HttpError, 'HTTP_RATE_LIMITED', { retriable: true });
    const secondary = (await rejectionOf(delivery2)) as HttpError;
    assertNoSecrets(secondary, [gh.token]);
    expect(secondary.retryAfterMs).toBe(45_000);
    expect(githubRateLimit(403, new Headers())).toBeUndefined();
  });

  it('5xx is retriable', async () => {
    gh.server.failNext(1, { status: 502, body: 'Server Error' });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_SERVER_ERROR', { retriable: true });
    assertNoSecrets(await rejectionOf(delivery), [gh.token]);
  });
});
