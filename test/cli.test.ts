/** The `chainwatch` CLI as users run it (child processes of bin/chainwatch.js). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { built, runCli } from './helpers/daemon-process.js';

const COMMANDS = [
  'run',
  'config check',
  'config schema',
  'events publish',
  'events tail',
  'verify-bundle',
  'verify-checkpoint',
  'inspect cert',
  'policy test',
  'policy check',
  'certs list',
  'ct logs',
  'ct backfill',
  'k8s manifests',
  'audit',
  'sinks dead-letters',
  'version',
];

describe.skipIf(!built())('chainwatch CLI', () => {
  it('lists every command and answers --help for each', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(c);
    for (const c of COMMANDS) {
      const r = await runCli([...c.split(' '), '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/Usage: chainwatch /);
    }
  });

  it('rejects unknown commands and bad flags on stderr with exit 2', async () => {
    const a = await runCli(['frobnicate']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("unknown command 'frobnicate'");
    const b = await runCli(['run', '--no-such-flag']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--no-such-flag');
    for (const port of ['', '80a', '-1']) {
      const c = await runCli(['run', `--port=${port}`]);
      expect(c.code, `--port '${port}'`).toBe(2);
      expect(c.stderr).toMatch(/http\.port/);
    }
  });

  it('prints the version', async () => {
    const r = await runCli(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^chainwatch \d+\.\d+\.\d+ \(node v2[2-9]/);
  });

  it('config check exits 2 naming each bad key, 0 for a good file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-cli-'));
    writeFileSync(join(dir, 'bad.yaml'), 'http:\n  port: -1\nbus:\n  kind: carrier-pigeon\n');
    const bad = await runCli(['config', 'check', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('CONFIG_INVALID');
    expect(bad.stderr).toMatch(/^ {2}http\.port: /m);
    expect(bad.stderr).toMatch(/^ {2}bus\.kind: /m);
    const good = await runCli(['config', 'check', join(import.meta.dirname, '..', 'config', 'chainwatch.example.yaml')]);
    // The example keeps the default key location, which is warned about by design (issue 8 item 3); nothing else.
    expect(good.stderr.replace(/^warning: the audit checkpoint key is inside the data directory.*\n/m, '')).toBe('');
    expect(good.code).toBe(0);
    const run = await runCli(['run', '--config', join(dir, 'bad.yaml')]);
    expect(run.code).toBe(2);
  });

  it('config check accepts the deprecated duration spellings for now, printing a warning per path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-cli-'));
    writeFileSync(join(dir, 'old.yaml'), 'shutdown:\n  deadlineMs: 15000\nbus:\n  embedded:\n    pollInterval: 250\n');
    const old = await runCli(['config', 'check', join(dir, 'old.yaml')]);
    expect(old.code).toBe(0);
    expect(old.stderr).toMatch(/^warning: .*shutdown\.deadlineMs/m);
    expect(old.stderr).toMatch(/^warning: .*bus\.embedded\.pollInterval/m);
    writeFileSync(join(dir, 'both.yaml'), 'shutdown:\n  deadlineMs: 15000\n  deadline: 15s\n');
    const both = await runCli(['config', 'check', join(dir, 'both.yaml')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^ {2}shutdown\.deadlineMs: /m);
  });

  it('events publish reports invalid lines by number, publishes the rest; events tail reads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-cli-'));
    const ev = (seq: number) =>
      JSON.stringify({ specversion: '1.0', id: `id-${seq}`, source: 'urn:cli-test', type: 'dev.chainwatch.system.probe.v1', subject: 's', data: { seq } });
    const input = [ev(1), '{broken', '', JSON.stringify({ specversion: '1.0', id: 'x', source: 's', type: 'dev.chainwatch.nope.v1', data: {} }), ev(2)].join(
      '\n',
    );
    const pub = await runCli(['events', 'publish', 'system', '-', '--data-dir', dir], input);
    expect(pub.code).toBe(1);
    expect(pub.stderr).toMatch(/^line 2: EVENT_MALFORMED_JSON/m);
    expect(pub.stderr).toMatch(/^line 4: EVENT_UNKNOWN_TYPE/m);
    expect(pub.stderr).toContain('published 2 event(s) to chainwatch.system; refused 2 line(s)');
    const tail = await runCli(['events', 'tail', 'chainwatch.system', '--from-beginning', '--max', '2', '--timeout', '20', '--data-dir', dir]);
    expect(tail.code).toBe(0);
    const lines = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: { id: string } });
    expect(lines.map((l) => l.event.id).sort()).toEqual(['id-1', 'id-2']);
    const ok = await runCli(['events', 'publish', 'system', '--data-dir', dir], ev(3));
    expect(ok.code).toBe(0);
  });
});
