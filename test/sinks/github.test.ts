import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertSink } from '../../core/index.js';
import { createGitHubSink, githubDedupLabel, githubRateLimit } from '../../sinks/github/index.js';
import { GitHubStandin } from '../standins/github.js';
import { operation } from '../standins/github-openapi.js';
import { expectHttpError, notification, rekorFork, signal, unexpectedSigner } from './fixtures.js';

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
    const n = notification(rekorFork, 'trigger');
    const res = await sink.deliver(n, signal());
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
    const first = await sink.deliver(notification(unexpectedSigner, 'trigger'), signal());
    gh.addPullRequest([githubDedupLabel(unexpectedSigner.dedupKey)]);
    await sink.deliver(notification(unexpectedSigner, 'update', { occurrences: 3, externalRef: first.externalRef! }), signal());
    const again = await make().deliver(notification(unexpectedSigner, 'update', { occurrences: 8 }), signal());
    expect(again.externalRef).toBe(first.externalRef);
    expect([...gh.issues.values()].filter((i) => !i.pull_request)).toHaveLength(1);
    const issue = gh.issues.get(Number(first.externalRef))!;
    expect(issue.comments).toHaveLength(2);
    expect(issue.comments[1]).toContain('8 occurrences since');
  });

  it('a redelivered trigger after a crash neither duplicates nor comments', async () => {
    const n = notification(rekorFork, 'trigger');
    await sink.deliver(n, signal());
    expect((await make().deliver(n, signal())).externalRef).toBe('1');
    expect(gh.issues.size).toBe(1);
    expect(gh.issues.get(1)!.comments).toHaveLength(0);
  });

  it('resolve comments and closes as completed; a later trigger opens a new issue', async () => {
    const { externalRef } = await sink.deliver(notification(rekorFork, 'trigger'), signal());
    await sink.deliver(notification(rekorFork, 'resolve', { externalRef: externalRef! }), signal());
    const issue = gh.issues.get(1)!;
    expect(issue.state).toBe('closed');
    expect(issue.state_reason).toBe('completed');
    expect(issue.comments).toHaveLength(1);
    await sink.deliver(notification(rekorFork, 'resolve', { externalRef: externalRef! }), signal());
    expect(issue.comments).toHaveLength(1);
    expect((await sink.deliver(notification(rekorFork, 'trigger', { externalRef: externalRef! }), signal())).externalRef).toBe('2');
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
    const err = await expectHttpError(() => make({ token: bad }).deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_CLIENT_ERROR', [bad, gh.token]);
    expect(err.status).toBe(401);
  });

  it('422 validation failures and 403 permission errors are non-retriable', async () => {
    gh.server.failNext(1, { status: 403, body: '{"message":"Resource not accessible by personal access token"}' });
    await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_CLIENT_ERROR', [gh.token]);
    gh.server.failNext(1, { status: 422, body: '{"message":"Validation Failed"}' });
    await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_CLIENT_ERROR', [gh.token]);
  });

  it('primary rate limit (403, remaining 0) waits until x-ratelimit-reset; secondary (429) honours retry-after', async () => {
    const reset = Math.floor(Date.now() / 1000) + 60;
    gh.server.failNext(1, {
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: '{"message":"API rate limit exceeded"}',
    });
    const primary = await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_RATE_LIMITED', [gh.token]);
    expect(primary.retryAfterMs).toBeGreaterThan(50_000);
    expect(primary.retryAfterMs).toBeLessThanOrEqual(60_000);
    gh.server.failNext(1, { status: 429, headers: { 'retry-after': '45' }, body: '{"message":"You have exceeded a secondary rate limit"}' });
    const secondary = await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_RATE_LIMITED', [gh.token]);
    expect(secondary.retryAfterMs).toBe(45_000);
    expect(githubRateLimit(403, new Headers())).toBeUndefined();
  });

  it('5xx is retriable', async () => {
    gh.server.failNext(1, { status: 502, body: 'Server Error' });
    await expectHttpError(() => sink.deliver(notification(rekorFork, 'trigger'), signal()), 'HTTP_SERVER_ERROR', [gh.token]);
  });
});
