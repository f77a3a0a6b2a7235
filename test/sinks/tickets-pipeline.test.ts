import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingSchema, type AlertSink } from '../../core/index.js';
import { createAlertPipeline, type AlertPipeline } from '../../sinks/alerts/index.js';
import { rekorForkFinding, testContext } from '../../core/testing/index.js';
import { createGitHubSink } from '../../sinks/github/index.js';
import { createJiraSink } from '../../sinks/jira/index.js';
import { createPagerDutySink } from '../../sinks/pagerduty/index.js';
import { createServiceNowSink } from '../../sinks/servicenow/index.js';
import { createSlackSink } from '../../sinks/slack/index.js';
import { GitHubStandin } from '../standins/github.js';
import { JiraStandin } from '../standins/jira.js';
import { PagerDutyStandin } from '../standins/pagerduty.js';
import { ServiceNowStandin } from '../standins/servicenow.js';
import { SlackStandin } from '../standins/slack.js';

/**
 * The five adapters behind the real alert pipeline (sinks/alerts): the outbox records the
 * externalRef each returns and hands it back, and the pipeline (not the adapter) retries a 429.
 */
describe('Slack, PagerDuty, Jira, GitHub and ServiceNow behind the alert pipeline', () => {
  const slack = new SlackStandin();
  const pd = new PagerDutyStandin();
  const jira = new JiraStandin();
  const gh = new GitHubStandin();
  const snow = new ServiceNowStandin();
  const dir = mkdtempSync(join(tmpdir(), 'cw-tickets-'));
  const ctx = testContext(dir);
  let pipeline: AlertPipeline;
  let seq = 0;
  const finding = (status: 'firing' | 'resolved') =>
    findingSchema.parse({ ...rekorForkFinding, findingId: `${rekorForkFinding.findingId}-${++seq}`, status, observedAt: new Date(ctx.clock.ms).toISOString() });

  beforeAll(async () => {
    await Promise.all([slack.start(), pd.start(), jira.start(), gh.start(), snow.start()]);
    const sinks: AlertSink[] = [
      createSlackSink({ name: 'soc-slack', webhookUrl: slack.webhookUrl }),
      createPagerDutySink({ name: 'soc-pd', routingKey: pd.routingKey, baseUrl: pd.server.url }),
      createJiraSink({ name: 'sec-jira', baseUrl: jira.server.url, email: jira.email, apiToken: jira.apiToken, projectKey: 'SEC' }),
      createGitHubSink({ name: 'gh', baseUrl: gh.server.url, owner: gh.owner, repo: gh.repo, token: gh.token }),
      createServiceNowSink({ name: 'snow', instanceUrl: snow.server.url, auth: { username: snow.username, password: snow.password } }),
    ];
    pipeline = createAlertPipeline(
      {
        sweepInterval: 3_600_000,
        dedupWindow: '5m',
        defaultReceivers: { security: sinks.map((s) => s.name), infrastructure: [] },
        delivery: { baseDelay: 1, maxDelay: 5, pollInterval: 20, timeout: 5000 },
      },
      ctx,
      sinks,
    );
    await pipeline.start();
  });
  afterAll(async () => {
    await pipeline.stop();
    await Promise.all([slack.stop(), pd.stop(), jira.stop(), gh.stop(), snow.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('trigger → one ticket each (Jira 429 retried by the pipeline), repeat → comments via externalRef, resolve → closed', async () => {
    jira.server.failNext(1, { status: 429, headers: { 'retry-after': '0' }, body: '{"errorMessages":["Rate limit exceeded"]}' });
    pipeline.ingest(finding('firing'));
    expect(await pipeline.drain()).toBe(true);
    expect(slack.messages).toHaveLength(1);
    expect(pd.alerts.size).toBe(1);
    expect(jira.issues.size).toBe(1);
    expect(gh.issues.size).toBe(1);
    expect(snow.incidents.size).toBe(1);

    ctx.clock.ms += 6 * 60_000;
    pipeline.ingest(finding('firing'));
    expect(await pipeline.drain()).toBe(true);
    expect(jira.issues.get('SEC-1')!.comments).toHaveLength(1);
    expect(gh.issues.get(1)!.comments).toHaveLength(1);
    expect([...snow.incidents.values()][0]!.workNotes).toHaveLength(1);
    expect(pd.alerts.get(rekorForkFinding.dedupKey)!.triggers).toBe(2);
    // The update used the recorded ticket key rather than searching.
    expect(jira.server.requests.some((r) => r.method === 'GET' && r.path === '/rest/api/3/issue/SEC-1')).toBe(true);

    pipeline.ingest(finding('resolved'));
    expect(await pipeline.drain()).toBe(true);
    expect(jira.issues.get('SEC-1')!.status).toBe('Done');
    expect(gh.issues.get(1)!.state).toBe('closed');
    expect([...snow.incidents.values()][0]!.fields.state).toBe('6');
    expect(pd.alerts.get(rekorForkFinding.dedupKey)!.status).toBe('resolved');
    expect(slack.messages).toHaveLength(3);
    expect(jira.issues.size + gh.issues.size + snow.incidents.size).toBe(3);
  });
});
