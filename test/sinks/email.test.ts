import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEmailSink } from '../../sinks/email/index.js';
import { type AlertPipeline, createAlertPipeline, listDeadLetters } from '../../sinks/alerts/index.js';
import { makeFinding, type TestContext, testContext } from '../../core/testing/index.js';
import { service } from '../helpers/services.js';

const smtp = service('CHAINWATCH_TEST_SMTP', 'Mailpit SMTP');
const api = service('CHAINWATCH_TEST_MAILPIT_API', 'Mailpit API');

interface MailpitSummary {
  ID: string;
  MessageID: string;
  Subject: string;
  To: { Address: string }[];
}

describe.skipIf(smtp.skip || api.skip)('e-mail sink against Mailpit (STARTTLS + auth)', () => {
  let dir: string;
  let ctx: TestContext;
  let pipeline: AlertPipeline | undefined;
  const run = `run${process.pid}${Date.now()}`;

  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function sinkConfig(over: Record<string, unknown> = {}) {
    const [host, port] = smtp.value!.split(':');
    return {
      name: 'mail',
      host,
      port: Number(port),
      requireTLS: true,
      tls: { ca: readFileSync(process.env.CHAINWATCH_TEST_SMTP_CA!, 'utf8'), servername: 'localhost' },
      auth: { user: process.env.CHAINWATCH_TEST_SMTP_USER, password: process.env.CHAINWATCH_TEST_SMTP_PASSWORD },
      from: 'Chainwatch <alerts@chainwatch.example>',
      to: [`soc+${run}@example.org`],
      timeout: '5s',
      ...over,
    };
  }

  async function start(sinkOver: Record<string, unknown> = {}): Promise<AlertPipeline> {
    dir = mkdtempSync(join(tmpdir(), 'cw-mail-'));
    ctx = testContext(dir, Date.now());
    pipeline = createAlertPipeline(
      { auditUrl: 'https://chainwatch.example/audit/{findingId}', delivery: { baseDelay: 50, maxDelay: 200, pollInterval: 50, maxAttempts: 3 } },
      ctx,
      [createEmailSink(sinkConfig(sinkOver))],
    );
    await pipeline.start();
    return pipeline;
  }

  const messages = async (): Promise<MailpitSummary[]> => {
    const res = await fetch(`${api.value}/api/v1/search?query=${encodeURIComponent(`to:"soc+${run}@example.org"`)}&limit=100`);
    return ((await res.json()) as { messages: MailpitSummary[] }).messages;
  };

  it('delivers a trigger and a threaded resolve carrying evidence and the audit link', async () => {
    const p = await start();
    const f = makeFinding({ dedupKey: `${run}:k`, summary: `Checkpoint fork ${run}` });
    p.ingest(f);
    p.ingest(makeFinding({ dedupKey: `${run}:k`, status: 'resolved', summary: `Checkpoint fork ${run}` }));
    expect(await p.drain(30_000)).toBe(true);
    const list = await vi.waitFor(
      async () => {
        const m = await messages();
        expect(m, '2 mails in Mailpit').toHaveLength(2);
        return m;
      },
      { timeout: 20_000, interval: 100 },
    );
    const trigger = list.find((m) => !m.Subject.startsWith('[RESOLVED]'))!;
    const resolve = list.find((m) => m.Subject.startsWith('[RESOLVED]'))!;
    expect(trigger.Subject).toBe(`[CRITICAL][security] Checkpoint fork ${run}`);
    const body = (await (await fetch(`${api.value}/api/v1/message/${trigger.ID}`)).json()) as { Text: string };
    expect(body.Text).toContain(`https://chainwatch.example/audit/${f.findingId}`);
    expect(body.Text).toContain('"treeSize": 1234');
    const headers = (await (await fetch(`${api.value}/api/v1/message/${resolve.ID}/headers`)).json()) as Record<string, string[]>;
    expect(headers['In-Reply-To']?.[0]).toBe(`<${trigger.MessageID}>`);
    expect(headers['X-Chainwatch-Action']?.[0]).toBe('resolve');
  });

  it('dead-letters on rejected credentials without retrying (and without the password in the reason)', async () => {
    const p = await start({ auth: { user: 'chainwatch', password: 'wrong-password-xyz' } });
    p.ingest(makeFinding({ dedupKey: `${run}:auth` }));
    expect(await p.drain(30_000)).toBe(true);
    const dead = listDeadLetters(p.dbFile);
    expect(dead.map((d) => [d.code, d.attempts])).toEqual([['SINK_CONFIG', 1]]);
    expect(JSON.stringify(dead)).not.toContain('wrong-password-xyz');
  });

  it('refuses a server whose certificate it cannot verify (no CA given)', async () => {
    const p = await start({ tls: { servername: 'localhost' } });
    p.ingest(makeFinding({ dedupKey: `${run}:tls` }));
    expect(await p.drain(30_000)).toBe(true);
    expect(listDeadLetters(p.dbFile).map((d) => d.code)).toEqual(['SINK_CONFIG']);
  });
});
