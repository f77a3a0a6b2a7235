/**
 * The data directory belongs to one daemon and to its owner (issue 8 items 6 and 10): a second
 * daemon on the same directory exits 2 naming the holder, a SIGKILLed holder leaves no stale
 * lock, the CLI's writing commands work beside a running daemon without taking its lock or
 * breaking it, and everything a run creates is owner-only.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { probe } from '../bus/contract.js';
import { built, httpStatus, runCli, startDaemon } from '../helpers/daemon-process.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function setup(): { root: string; dataDir: string; config: string } {
  const root = mkdtempSync(join(tmpdir(), 'cw-datadir-'));
  dirs.push(root);
  const config = join(root, 'chainwatch.yaml');
  writeFileSync(
    config,
    'bus:\n  kind: embedded\n  embedded:\n    pollInterval: 50ms\nsinks:\n  journal:\n    path: journal.jsonl\n  alerts:\n    receivers:\n      - { name: hook, kind: webhook, webhookUrl: http://127.0.0.1:9/hook }\nshutdown:\n  deadline: 10s\n',
  );
  // A data dir that does not exist yet: the daemon creates it (and everything in it).
  return { root, dataDir: join(root, 'data'), config };
}

const event = (seq: number): string => JSON.stringify(probe(seq));

function journalLines(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
}

describe.skipIf(!built())('the data directory', () => {
  it('one daemon per data directory: the second exits 2 naming the holder; SIGKILL leaves no stale lock', async () => {
    const { dataDir, config } = setup();
    const first = await startDaemon(['--config', config, '--data-dir', dataDir]);
    try {
      const second = await runCli(['run', '--port', '0', '--config', config, '--data-dir', dataDir]);
      expect(second.code).toBe(2);
      expect(second.stderr).toContain('STORAGE_LOCKED');
      expect(second.stderr).toContain(`pid ${first.child.pid}`);
      expect(await httpStatus(`${first.url}/readyz`)).toBe(200);
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    // The .lock file is still there, but the kernel released the lock with the process.
    expect(existsSync(join(dataDir, '.lock'))).toBe(true);
    const next = await startDaemon(['--config', config, '--data-dir', dataDir]);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  }, 120_000);

  it("the CLI's writing commands work beside a running daemon, which keeps running and journals everything", async () => {
    const { dataDir, config } = setup();
    const d = await startDaemon(['--config', config, '--data-dir', dataDir]);
    try {
      await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 30_000, interval: 100 });
      const common = ['--config', config, '--data-dir', dataDir];
      const input = Array.from({ length: 200 }, (_, i) => event(i)).join('\n');
      const published = await runCli(['events', 'publish', 'system', ...common], input);
      expect(published.code, published.stderr).toBe(0);
      const note = await runCli(['audit', 'note', ...common, 'checked', 'by', 'hand']);
      expect(note.code, note.stderr).toBe(0);
      const checkpoint = await runCli(['audit', 'checkpoint', ...common]);
      expect(checkpoint.code, checkpoint.stderr).toBe(0);
      const replay = await runCli(['sinks', 'dead-letters', 'replay', '--all', ...common]);
      expect(replay.code, replay.stderr).toBe(0);
      await vi.waitFor(() => expect(journalLines(join(dataDir, 'journal.jsonl'))).toBeGreaterThanOrEqual(200), { timeout: 30_000, interval: 100 });
      expect(await httpStatus(`${d.url}/readyz`)).toBe(200);
      expect(d.child.exitCode).toBeNull();
    } finally {
      d.child.kill('SIGTERM');
    }
    expect(await d.exited).toBe(0);
    const verify = await runCli(['audit', 'verify', '--config', config, '--data-dir', dataDir]);
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
  }, 120_000);

  it('everything a daemon run creates is owner-only: directories 0700, files 0600', async () => {
    const { dataDir, config } = setup();
    const d = await startDaemon(['--config', config, '--data-dir', dataDir]);
    await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 30_000, interval: 100 });
    expect((await runCli(['events', 'publish', 'system', '--config', config, '--data-dir', dataDir], event(1))).code).toBe(0);
    await vi.waitFor(() => expect(journalLines(join(dataDir, 'journal.jsonl'))).toBe(1), { timeout: 30_000, interval: 100 });
    // Kill it, so the SQLite -wal and -shm files are still there to be checked.
    d.child.kill('SIGKILL');
    await d.exited;
    const modes: Record<string, string> = {};
    const walk = (dir: string): void => {
      modes[relative(dataDir, dir) || '.'] = (statSync(dir).mode & 0o777).toString(8);
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else modes[relative(dataDir, p)] = (statSync(p).mode & 0o777).toString(8);
      }
    };
    walk(dataDir);
    expect(Object.keys(modes)).toEqual(expect.arrayContaining(['.', 'bus.db', 'bus.db-wal', 'journal.jsonl', 'audit']));
    const expected: Record<string, string> = {};
    for (const p of Object.keys(modes)) {
      // The checkpoint verifier key is public by design: auditors are handed it.
      if (p.endsWith('.pub') || p.includes('vkey')) continue;
      expected[p] = statSync(join(dataDir, p)).isDirectory() ? '700' : '600';
    }
    expect(Object.fromEntries(Object.entries(modes).filter(([p]) => p in expected))).toEqual(expected);
  }, 120_000);
});
