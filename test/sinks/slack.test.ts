import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertNoSecrets, notificationFor, openSignal, rejectionOf, rekorForkFinding, unexpectedSignerFinding } from '../../core/testing/index.js';
import type { HeaderBlock, SectionBlock, ActionsBlock, ContextBlock } from '@slack/types';
import { ConfigError, HttpError } from '../../core/index.js';
import { inspect } from 'node:util';
import { createSlackSink, slackSinkConfigSchema } from '../../sinks/slack/index.js';
import { checkBlocks, SlackStandin } from '../standins/slack.js';

describe('SlackSink against the incoming-webhook stand-in', () => {
  const slack = new SlackStandin();
  let sink: ReturnType<typeof createSlackSink>;
  const secrets = (): string[] => [slack.webhookUrl, 's3cr3tHookTokenXyZ123456'];

  beforeAll(async () => {
    await slack.start();
  });
  afterAll(() => slack.stop());
  beforeEach(() => {
    slack.messages.length = 0;
    sink = createSlackSink({ name: 'soc-slack', webhookUrl: slack.webhookUrl, mentionOnCritical: '<!here>' });
  });

  it('posts a Block Kit message with header, fields, evidence, links and occurrences', async () => {
    const n = notificationFor(rekorForkFinding, 'trigger', { occurrences: 3 });
    await expect(sink.deliver(n, openSignal())).resolves.toEqual({});
    expect(slack.messages).toHaveLength(1);
    const { text, blocks } = slack.messages[0]!;
    expect(text).toMatch(/^<!here> /);
    const header = blocks[0] as HeaderBlock;
    expect(header.type).toBe('header');
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    const fields = (blocks[1] as SectionBlock).fields!.map((f) => f.text);
    expect(fields.some((f) => f.includes('critical'))).toBe(true);
    expect(fields.some((f) => f.includes('security'))).toBe(true);
    const evidence = blocks.find((b) => b.type === 'section' && b.text?.text.startsWith('*Evidence*')) as SectionBlock;
    expect(evidence.text!.text).toContain('oldSize: 123456789');
    const actions = blocks.find((b) => b.type === 'actions') as ActionsBlock;
    const urls = actions.elements.map((e) => ('url' in e ? e.url : undefined));
    expect(urls[0]).toBe(n.auditUrl);
    expect(urls).toContain('https://rekor.sigstore.dev/api/v1/log/checkpoint');
    const ctx = blocks.at(-1) as ContextBlock;
    const ctxText = ctx.elements.map((e) => ('text' in e ? e.text : '')).join(' ');
    expect(ctxText).toContain(n.dedupKey);
    expect(ctxText).toContain('3 occurrences since 2026-11-26T03:10:42.117Z');
  });

  it('posts a resolved message on resolve', async () => {
    await sink.deliver(notificationFor(unexpectedSignerFinding, 'resolve', { occurrences: 2 }), openSignal());
    const header = slack.messages[0]!.blocks[0] as HeaderBlock;
    expect(header.text.text).toMatch(/^Resolved: /);
    expect(slack.messages[0]!.text).not.toContain('<!here>');
  });

  it('keeps oversized findings inside the Block Kit limits', async () => {
    const huge = {
      ...rekorForkFinding,
      summary: 'x'.repeat(1000),
      description: '<&>'.repeat(5000),
      evidence: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'.repeat(500)])),
      links: Array.from({ length: 40 }, (_, i) => ({ title: 't'.repeat(200), url: `https://example.org/${i}` })),
    };
    await sink.deliver(notificationFor(huge, 'trigger'), openSignal());
    expect(slack.messages).toHaveLength(1);
    expect(checkBlocks(slack.messages[0]!.blocks)).toEqual([]);
  });

  it('the stand-in rejects blocks that break the documented limits', () => {
    expect(checkBlocks([{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }])).not.toEqual([]);
    expect(checkBlocks([{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }])).not.toEqual([]);
    expect(checkBlocks([{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'a' })) }])).not.toEqual([]);
    expect(checkBlocks([{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'y'.repeat(76) } }] }])).not.toEqual([]);
  });

  it('429 with Retry-After is retriable with retryAfterMs', async () => {
    slack.server.failNext(1, { status: 429, headers: { 'retry-after': '7' }, body: 'rate_limited' });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_RATE_LIMITED', { retriable: true });
    const err = (await rejectionOf(delivery)) as HttpError;
    assertNoSecrets(err, secrets());
    expect(err.retryAfterMs).toBe(7000);
    expect(err.status).toBe(429);
  });

  it('5xx is a retriable server error', async () => {
    slack.server.failNext(1, { status: 503, body: 'service_unavailable' });
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_SERVER_ERROR', { retriable: true });
    assertNoSecrets(await rejectionOf(delivery), secrets());
  });

  it.each([
    [400, 'invalid_payload'],
    [403, 'action_prohibited'],
    [401, 'invalid_token'],
    [410, 'channel_is_archived'],
  ])('%i %s is a non-retriable client error without the webhook URL', async (status, body) => {
    slack.server.failNext(1, { status, body });
    const delivery2 = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery2).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    const err = (await rejectionOf(delivery2)) as HttpError;
    assertNoSecrets(err, secrets());
    expect(err.status).toBe(status);
  });

  it('an unknown hook is 404 no_service, and the wrong token never shows in the error', async () => {
    const wrong = `${slack.server.url}/services/T0CHAINW/B0WATCH1/wrongTokenAbcdef987654`;
    const other = createSlackSink({ name: 'x', webhookUrl: wrong });
    const delivery = other.deliver(notificationFor(rekorForkFinding, 'trigger'), openSignal());
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_CLIENT_ERROR', { retriable: false });
    assertNoSecrets(await rejectionOf(delivery), [wrong, 'wrongTokenAbcdef987654']);
  });

  it('an unreachable endpoint is retriable and its URL is redacted', async () => {
    const dead = 'http://127.0.0.1:9/services/T1/B1/deadTokenQwerty123456';
    const other = createSlackSink({ name: 'x', webhookUrl: dead });
    const delivery = other.deliver(notificationFor(rekorForkFinding, 'trigger'), AbortSignal.timeout(5000));
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_UNREACHABLE', { retriable: true });
    assertNoSecrets(await rejectionOf(delivery), [dead, 'deadTokenQwerty123456']);
  });

  it('a slow endpoint times out as a retriable HTTP_TIMEOUT', async () => {
    slack.server.failNext(1, { status: 200, body: 'ok', delayMs: 1500 });
    // The pipeline's worker passes a signal carrying its per-attempt timeout.
    const delivery = sink.deliver(notificationFor(rekorForkFinding, 'trigger'), AbortSignal.timeout(200));
    await expect(delivery).rejects.toThrowWithCode(HttpError, 'HTTP_TIMEOUT', { retriable: true });
    assertNoSecrets(await rejectionOf(delivery), secrets());
  });

  it('config: takes the resolved webhook URL, rejects an unresolved reference, never prints the URL', () => {
    expect(slackSinkConfigSchema.safeParse({ name: 'a', webhookUrl: slack.webhookUrl }).success).toBe(true);
    expect(() => createSlackSink({ name: 'a', webhookUrl: { env: 'SLACK_URL' } as never })).toThrowWithCode(ConfigError, 'CONFIG_INVALID');
    expect(inspect(sink, { depth: 5 })).not.toContain('s3cr3tHookTokenXyZ123456');
    expect(JSON.stringify(sink)).not.toContain('s3cr3tHookTokenXyZ123456');
  });
});
