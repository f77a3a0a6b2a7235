/**
 * Config reload (SIGHUP) on a real daemon process: a component the new config adds starts, the
 * ones it keeps run on untouched, one it drops stops; an invalid file is refused and the running
 * configuration stays in force.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { built, httpStatus, startDaemon } from '../helpers/daemon-process.js';

interface Ready {
  checks: { components: { name: string; state: string; restarts: number }[] };
}

/** The "configuration reloaded" log lines, oldest first. */
function reloads(stdout: string): { started: string[]; stopped: string[]; restarted: string[]; needsRestart: string[] }[] {
  return stdout
    .split('\n')
    .filter((l) => l.includes('"msg":"configuration reloaded"'))
    .map((l) => JSON.parse(l) as { started: string[]; stopped: string[]; restarted: string[]; needsRestart: string[] });
}

async function components(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/readyz`)).json()) as Ready;
  return body.checks.components.map((c) => `${c.name}:${c.state}`).sort();
}

describe.skipIf(!built())('daemon config reload (SIGHUP)', () => {
  it('starts added components, stops dropped ones, keeps the rest, and refuses an invalid file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-reload-'));
    const file = join(dir, 'chainwatch.yaml');
    const base = `dataDir: ${JSON.stringify(dir)}\nbus:\n  embedded:\n    pollInterval: 50ms\n`;
    writeFileSync(file, base);
    const d = await startDaemon(['--config', file]);
    try {
      await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 30_000, interval: 100 });
      expect(await components(d.url)).toEqual(['sink.audit:running']);

      // Add the journal sink: it starts and writes what the bus carries; the audit sink is untouched.
      writeFileSync(file, `${base}sinks:\n  journal:\n    path: journal.jsonl\n`);
      d.child.kill('SIGHUP');
      await vi.waitFor(async () => expect(await components(d.url)).toEqual(['sink.audit:running', 'sink.journal:running']), { timeout: 20_000, interval: 100 });
      await vi.waitFor(() => expect(existsSync(join(dir, 'journal.jsonl'))).toBe(true), { timeout: 10_000 });
      const first = reloads(d.stdout())[0];
      expect(first).toMatchObject({ started: ['sink.journal'], stopped: [], restarted: [] }); // the audit sink ran on untouched

      // An invalid file changes nothing, and the daemon says why.
      writeFileSync(file, `${base}sinks:\n  journal:\n    pth: typo.jsonl\n`);
      d.child.kill('SIGHUP');
      await vi.waitFor(() => expect(d.stdout()).toMatch(/new configuration is not valid/), { timeout: 10_000 });
      expect(d.stdout()).toContain('sinks.journal');
      expect(await components(d.url)).toEqual(['sink.audit:running', 'sink.journal:running']);

      // Drop the journal again (and turn off the audit trail): both stop; a restart-only setting is reported.
      writeFileSync(file, `${base}instance: renamed\nsinks:\n  audit:\n    enabled: false\n`);
      d.child.kill('SIGHUP');
      await vi.waitFor(async () => expect(await components(d.url)).toEqual([]), { timeout: 20_000, interval: 100 });
      expect(reloads(d.stdout()).at(-1)).toMatchObject({ stopped: ['sink.audit', 'sink.journal'], needsRestart: ['instance'] });

      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
    } finally {
      if (d.child.exitCode === null) d.child.kill('SIGKILL');
    }
  });
});
