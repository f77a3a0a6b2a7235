import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type RecordingServer, startRecordingServer } from '../../../core/testing/index.js';
import { main } from '../main.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {} }, out, err };
}

describe('chainwatch wait-ready', () => {
  let server: RecordingServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  /** A /readyz that answers 503 for the first `notReady` requests, then 200. */
  async function readyz(notReady: number): Promise<{ base: string; hits: () => number }> {
    let n = 0;
    const s = await startRecordingServer((req) => ({ status: req.path === '/readyz' && ++n > notReady ? 200 : 503, body: {} }));
    server = s;
    return { base: s.url, hits: () => s.requests.length };
  }

  it('polls until /readyz answers 200 and exits 0', async () => {
    const d = await readyz(2);
    const t = io();
    expect(await main(['wait-ready', '--url', d.base, '--timeout', '10'], t.io)).toBe(0);
    expect(d.hits()).toBe(3);
    expect(t.out.join('')).toContain('ready');
  });

  it('exits 1 when the daemon is not ready before the timeout', async () => {
    const d = await readyz(Infinity);
    const t = io();
    expect(await main(['wait-ready', '--url', `${d.base}/readyz`, '--timeout', '600ms'], t.io)).toBe(1);
    expect(t.err.join('')).toContain('not ready');
  });

  it('exits 1 when nothing listens', async () => {
    const d = await readyz(0);
    await server!.stop();
    server = undefined;
    const t = io();
    expect(await main(['wait-ready', '--url', d.base, '--timeout', '500ms'], t.io)).toBe(1);
  });

  it.each([[['--timeout', 'soon']], [['--timeout', '0']], [['--url', 'ftp://x']], [['--url', 'not a url']]])('usage error %j', async (extra) => {
    const t = io();
    expect(await main(['wait-ready', ...extra], t.io)).toBe(2);
  });
});
