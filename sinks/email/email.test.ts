import { describe, expect, it } from 'vitest';
import { SinkError } from '../shared/index.js';
import { makeNotification } from '../../core/testing/index.js';
import { classifySmtpError, createEmailSink, emailMessage, emailSinkConfigSchema, requiresTls } from './email.js';

const base = { name: 'mail', host: 'smtp.example', from: 'Chainwatch <alerts@chainwatch.example>', to: ['soc@example.org'] };

describe('email message', () => {
  it('derives Message-ID from the notification id, carries evidence and the audit link', () => {
    const n = makeNotification({ occurrences: 4 });
    const m = emailMessage(n, { ...base, cc: [] });
    expect(m.messageId).toBe(`<${n.id}@chainwatch.example>`);
    expect(m.subject).toContain(n.finding.summary);
    expect(m.text).toContain(n.auditUrl!);
    expect(m.text).toContain('4 occurrences since');
    expect(m.text).toContain('"treeSize": 1234');
    expect(m.headers['X-Chainwatch-Notification-Id']).toBe(n.id);
  });
  it('threads updates and resolves under the trigger', () => {
    const m = emailMessage(makeNotification({ action: 'resolve', externalRef: '<t@x>' }), { ...base, cc: [] });
    expect([m.inReplyTo, m.references, m.subject.startsWith('[RESOLVED]')]).toEqual(['<t@x>', ['<t@x>'], true]);
  });
});

describe('SMTP error classification', () => {
  it.each([
    [{ code: 'ECONNECTION' }, 'SINK_UNAVAILABLE', true],
    [{ code: 'ETIMEDOUT' }, 'SINK_TIMEOUT', true],
    [{ code: 'EENVELOPE', responseCode: 451 }, 'SINK_UNAVAILABLE', true],
    [{ code: 'EENVELOPE', responseCode: 550, permanent: true }, 'SINK_REJECTED', false],
    [{ code: 'EAUTH', responseCode: 535 }, 'SINK_CONFIG', false],
    [{ code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'SINK_CONFIG', false],
    [{ code: 'ESOCKET', originalCode: 'ECONNRESET' }, 'SINK_UNAVAILABLE', true],
  ])('%j -> %s', (err, code, retriable) => {
    const e = classifySmtpError('mail', Object.assign(new Error('535 auth failed for user secret'), err));
    expect(e).toBeInstanceOf(SinkError);
    expect([e.code, e.retriable]).toEqual([code, retriable]);
    expect(e.message).not.toContain('secret');
  });
  it('keeps the SMTP password out of JSON', () => {
    const sink = createEmailSink({ ...base, auth: { user: 'u', password: 'hunter2-pass' } });
    expect(JSON.stringify((sink as unknown as { cfg: unknown }).cfg)).not.toContain('hunter2-pass');
  });
});

describe('EmailSink', () => {
  type Transport = NonNullable<Parameters<typeof createEmailSink>[1]>['transport'];
  it('sends through the transport and returns the trigger Message-ID as externalRef', async () => {
    const sent: { messageId: string }[] = [];
    const transport = { sendMail: async (m: { messageId: string }) => (sent.push(m), {}), close() {} } as unknown as Transport;
    const sink = createEmailSink(base, { transport });
    const n = makeNotification();
    expect(await sink.deliver(n, new AbortController().signal)).toEqual({ externalRef: `<${n.id}@chainwatch.example>` });
    expect(sent).toHaveLength(1);
  });

  it('stops waiting on abort with a retriable SINK_TIMEOUT, without an unhandled rejection later', async () => {
    let rejectLater: (e: Error) => void = () => {};
    const transport = { sendMail: () => new Promise((_, rej) => (rejectLater = rej)), close() {} } as unknown as Transport;
    const sink = createEmailSink(base, { transport });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 10);
    await expect(sink.deliver(makeNotification(), ac.signal)).rejects.toThrowWithCode(SinkError, 'SINK_TIMEOUT', { retriable: true });
    rejectLater(Object.assign(new Error('socket closed'), { code: 'ECONNECTION' }));
    await new Promise((r) => setTimeout(r, 10));
  });
});

describe('TLS for SMTP AUTH', () => {
  it('requires TLS whenever auth is set, unless allowInsecureAuth says otherwise', () => {
    const auth = { user: 'u', password: 'p4ssword' };
    expect(requiresTls(emailSinkConfigSchema.parse({ ...base }))).toBe(false);
    expect(requiresTls(emailSinkConfigSchema.parse({ ...base, auth }))).toBe(true);
    expect(requiresTls(emailSinkConfigSchema.parse({ ...base, auth, allowInsecureAuth: true }))).toBe(false);
    expect(requiresTls(emailSinkConfigSchema.parse({ ...base, requireTLS: true, allowInsecureAuth: true }))).toBe(true);
  });
});
