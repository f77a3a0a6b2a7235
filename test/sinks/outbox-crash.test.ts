import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRecordingServer } from '../../core/testing/index.js';

const CHILD = join(import.meta.dirname, 'procs', 'outbox-child.ts');

function runChild(dataDir: string, url: string): { proc: ChildProcess; exit: Promise<number | null>; out: string[] } {
  const out: string[] = [];
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, url], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  proc.stdout.on('data', (b: Buffer) => out.push(...b.toString().split('\n').filter(Boolean)));
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, exit, out };
}

describe('durable outbox survives SIGKILL mid-delivery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers every notification once per dedup window after a kill and restart', async () => {
    let child: ReturnType<typeof runChild> | undefined;
    let inFlightAtKill: string | undefined;
    let n = 0;
    const server = await startRecordingServer(async (req) => {
      n++;
      if (n === 5 && child) {
        // Kill while this request is in flight: the child never sees the answer.
        inFlightAtKill = String(req.headers['idempotency-key']);
        child.proc.kill('SIGKILL');
        return { status: 200 };
      }
      await new Promise((r) => setTimeout(r, 50));
      return { status: 200 };
    });
    try {
      child = runChild(dir, server.url);
      const code1 = await child.exit;
      expect(code1).toBeNull(); // killed by the signal
      expect(inFlightAtKill).toBeDefined();

      child = runChild(dir, server.url);
      expect(await child.exit).toBe(0);
      expect(child.out).toContain('DRAINED');
    } finally {
      child?.proc.kill('SIGKILL');
      await server.stop();
    }
    const ids = server.requests.map((r) => String(r.headers['idempotency-key']));
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    // 10 dedup keys -> 10 triggers, 3 of them resolved -> 3 resolves; repeats suppressed.
    expect(counts.size).toBe(13);
    for (const [id, c] of counts) expect(c, id).toBe(id === inFlightAtKill ? 2 : 1);
    const actions = server.requests.map((r) => JSON.parse(r.body) as { id: string; action: string; dedupKey: string });
    const triggers = new Set(actions.filter((a) => a.action === 'trigger').map((a) => `${a.dedupKey}/${a.id}`));
    expect(triggers.size).toBe(10);
    expect(new Set(actions.filter((a) => a.action === 'resolve').map((a) => a.dedupKey))).toEqual(new Set(['key-0', 'key-1', 'key-2']));
  });
});
