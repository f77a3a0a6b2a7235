/**
 * README's "A five-minute tour" must work when pasted. This test extracts its fenced shell block and
 * runs it as written with bash (set -euo pipefail), with two changes only: a free port instead of
 * 8080 (other checkouts on this machine may hold 8080) and CHAINWATCH_DATA_DIR pointing at a fresh
 * directory (so the tour does not write into the checkout's ./.data). After the block it waits for
 * the backgrounded daemon: `kill %1` must have stopped it cleanly (exit 0).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../core/testing/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { built, ROOT } from './helpers/daemon-process.js';
import { REALDATA } from './helpers/services.js';

/** The first ```sh block under the given heading. */
export function shellBlock(markdown: string, heading: string): string {
  const at = markdown.indexOf(`\n${heading}\n`);
  if (at === -1) throw new Error(`README has no heading ${JSON.stringify(heading)}`);
  const m = /```sh\n([\s\S]*?)```/.exec(markdown.slice(at));
  if (!m) throw new Error(`no sh block under ${heading}`);
  return m[1]!;
}

describe.skipIf(!built() || !existsSync(REALDATA))('README tour', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-tour-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs every command of the tour as written', async () => {
    const block = shellBlock(readFileSync(join(ROOT, 'README.md'), 'utf8'), '## A five-minute tour');
    expect(block).toContain('8080');
    const port = await freePort();
    const script = `set -euo pipefail\n${block.replaceAll('8080', String(port))}\nwait %1\n`;
    const child = spawn('bash', ['-c', script], {
      cwd: ROOT,
      env: { ...process.env, CHAINWATCH_DATA_DIR: dataDir, CHAINWATCH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    // Each step printed what the README says it shows.
    expect(out).toMatch(/^ready: /m);
    expect(out).toContain('"status":"ready"');
    expect(out).toMatch(/^chainwatch_bus_events_published_total\{topic="chainwatch.system"\} \d+/m);
    expect(out).toContain('dev.chainwatch.system.probe.v1');
    expect(out).toMatch(/^OK: https:\/\/github.com\/sigstore-conformance\//m);
    expect(out).toMatch(/^OK: rekor.sigstore.dev/m);
    expect(out).toContain('config/chainwatch.example.yaml: ok');
    expect(out).toContain('wait-ready');
  }, 300_000);
});
