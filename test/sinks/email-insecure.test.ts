import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, makeNotification } from '../../core/testing/index.js';
import { SinkError } from '../../sinks/shared/index.js';
import { createEmailSink } from '../../sinks/email/index.js';
import { service } from '../helpers/services.js';

/**
 * SMTP AUTH must never cross the wire in cleartext: a second Mailpit (the binary the service script
 * built) that offers NO STARTTLS but accepts PLAIN/LOGIN authentication, as a misconfigured or
 * downgraded server would. With `auth` set the sink must refuse to send unless
 * `allowInsecureAuth: true` says the operator accepts it.
 */
const bin = service('CHAINWATCH_TEST_MAILPIT_BIN', 'Mailpit binary');

describe.skipIf(bin.skip)('e-mail sink against an SMTP server without STARTTLS', () => {
  let dir: string;
  let proc: ChildProcess;
  let smtpPort: number;
  let apiUrl: string;
  const password = `plain-pw-${process.pid}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-mail-plain-'));
    writeFileSync(join(dir, 'auth'), `chainwatch:${password}\n`);
    smtpPort = await freePort();
    const httpPort = await freePort();
    apiUrl = `http://127.0.0.1:${httpPort}`;
    proc = spawn(
      bin.value!,
      [
        '--smtp',
        `127.0.0.1:${smtpPort}`,
        '--listen',
        `127.0.0.1:${httpPort}`,
        '--database',
        join(dir, 'db'),
        '--smtp-auth-file',
        join(dir, 'auth'),
        '--smtp-auth-allow-insecure',
        '--quiet',
      ],
      { stdio: 'ignore' },
    );
    await vi.waitFor(async () => expect((await fetch(`${apiUrl}/readyz`)).ok).toBe(true), { timeout: 20_000, interval: 100 });
  });

  afterAll(() => {
    proc?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const sink = (over: Record<string, unknown> = {}) =>
    createEmailSink({
      name: 'mail',
      host: '127.0.0.1',
      port: smtpPort,
      auth: { user: 'chainwatch', password },
      from: 'Chainwatch <alerts@chainwatch.example>',
      to: ['soc@example.org'],
      timeout: '5s',
      ...over,
    });
  const count = async (): Promise<number> => ((await (await fetch(`${apiUrl}/api/v1/messages`)).json()) as { total: number }).total;

  it('refuses to authenticate without TLS when auth is set (requireTLS is implied)', async () => {
    const s = sink();
    try {
      await expect(s.deliver(makeNotification(), AbortSignal.timeout(10_000))).rejects.toThrowWithCode(SinkError, 'SINK_CONFIG');
    } finally {
      await s.close();
    }
    expect(await count()).toBe(0);
  });

  it('sends with cleartext AUTH only when allowInsecureAuth: true says so', async () => {
    const s = sink({ allowInsecureAuth: true });
    try {
      await s.deliver(makeNotification(), AbortSignal.timeout(10_000));
    } finally {
      await s.close();
    }
    expect(await count()).toBe(1);
  });
});
