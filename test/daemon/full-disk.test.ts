/**
 * Full-disk drills on a real (tmpfs) filesystem, issue 8 items 7 and 8: nothing half-written,
 * a clear coded outcome, and recovery once space returns.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { probe } from '../bus/contract.js';
import { built, httpStatus, runCli, startDaemon } from '../helpers/daemon-process.js';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs.js';

const fs = mountTmpfs(4 * 1024 * 1024);
if (typeof fs === 'string') console.warn(fs);
const mounted = typeof fs === 'string' ? undefined : fs;
afterAll(() => mounted?.remove());

describe.skipIf(!mounted || !built())('on a full disk', () => {
  const disk = mounted as Tmpfs;

  it('events publish aborts with exit 3 naming the line, publishes everything before it whole, and the rest goes through once space returns', async () => {
    const dataDir = join(disk.dir, 'data');
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify(probe(i, undefined, { payload: 'a'.repeat(300_000) })));
    // From a file: an aborted publish stops reading, and a stdin pipe would break under the writer.
    const input = join(mkdtempSync(join(tmpdir(), 'cw-fulldisk-in-')), 'in.jsonl');
    writeFileSync(input, lines.join('\n'));
    const full = await runCli(['events', 'publish', 'system', input, '--data-dir', dataDir, '--batch-size', '1', '--json']);
    expect(full.code, full.stderr).toBe(3);
    const out = JSON.parse(full.stdout) as { published: number; refused: number; aborted: boolean; abortedAtLine: number };
    expect(out).toMatchObject({ aborted: true, refused: 0 });
    expect(out.published).toBeGreaterThan(0);
    expect(out.abortedAtLine).toBe(out.published + 1);
    expect(full.stderr).toMatch(new RegExp(`aborted at line ${out.abortedAtLine}: BUS_PUBLISH_FAILED`));

    // Space returns: the rest of the input (from the line named) is published, nothing twice.
    disk.resize(64 * 1024 * 1024);
    const rest = await runCli(['events', 'publish', 'system', '--data-dir', dataDir, '--json'], lines.slice(out.abortedAtLine - 1).join('\n'));
    expect(rest.code, rest.stderr).toBe(0);
    const db = new Database(join(dataDir, 'bus.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const seqs = (db.prepare('SELECT value FROM records').all() as { value: Buffer }[]).map(
        (r) => (JSON.parse(r.value.toString()) as { data: { seq: number } }).data.seq,
      );
      expect(seqs.sort((a, b) => a - b)).toEqual(lines.map((_, i) => i));
    } finally {
      db.close();
      rmSync(dirname(input), { recursive: true, force: true });
    }
  }, 120_000);
});

describe.skipIf(!built())('the journal sink on a full disk', () => {
  it('pauses instead of dead-lettering, says not ready while writes fail, leaves only whole lines, and catches up once space returns', async () => {
    const disk = mountTmpfs(1024 * 1024);
    if (typeof disk === 'string') {
      console.warn(disk);
      return;
    }
    const root = mkdtempSync(join(tmpdir(), 'cw-fulldisk-journal-'));
    const journal = join(disk.dir, 'journal.jsonl');
    const config = join(root, 'chainwatch.yaml');
    writeFileSync(
      config,
      `bus:\n  kind: embedded\n  embedded:\n    pollInterval: 50ms\nsinks:\n  journal:\n    path: ${journal}\n    families: [system]\nshutdown:\n  deadline: 10s\n`,
    );
    const dataDir = join(root, 'data');
    const d = await startDaemon(['--config', config, '--data-dir', dataDir]);
    try {
      await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 30_000, interval: 100 });
      // 40 events of ~100 KB: four times what the 1 MB disk holds.
      const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify(probe(i, undefined, { payload: 'j'.repeat(100_000) })));
      expect((await runCli(['events', 'publish', 'system', '--config', config, '--data-dir', dataDir], lines.join('\n'))).code).toBe(0);
      await vi.waitFor(
        async () => {
          const r = await fetch(`${d.url}/readyz`);
          expect(r.status).toBe(503);
          expect(await r.text()).toContain('ENOSPC');
        },
        { timeout: 30_000, interval: 100 },
      );
      // Only whole lines, even while the disk is full. Every newline-terminated line must parse; a
      // read can land between a retried write that ran out of space and the sink cutting it back,
      // so an unterminated tail is the write in flight (checked gone once the daemon has stopped).
      const whole = (): number[] =>
        readFileSync(journal, 'utf8')
          .split('\n')
          .slice(0, -1)
          .map((l) => (JSON.parse(l) as { event: { data: { seq: number } } }).event.data.seq);
      expect(whole().length).toBeLessThan(40);
      disk.resize(64 * 1024 * 1024);
      await vi.waitFor(() => expect(whole().sort((a, b) => a - b)).toEqual(lines.map((_, i) => i)), { timeout: 60_000, interval: 200 });
      await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 30_000, interval: 100 });
      const dlq = await runCli(['events', 'tail', 'chainwatch.system.dlq', '--from-beginning', '--timeout', '2', '--config', config, '--data-dir', dataDir]);
      expect(dlq.stdout.trim()).toBe('');
      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
      expect(readFileSync(journal, 'utf8').endsWith('\n')).toBe(true);
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
      disk.remove();
      rmSync(root, { recursive: true, force: true });
    }
  }, 180_000);
});
