/**
 * Service teardown is prompt: scripts/services/rekor.sh stop used to take ~19 s, because Trillian
 * sleeps 5 s after its graceful stop and its two processes were stopped one after the other (one
 * ended in "ignored SIGTERM for 10s; SIGKILL"). This starts a second, private Rekor stack (own run
 * directory, own port block) so the shared one the other suites use keeps running.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { service } from './helpers/services.js';

// Needs what the shared Rekor needs (its cached binaries, MariaDB): declared like the Rekor suites.
const rekor = service('CHAINWATCH_TEST_REKOR_SCRIPT', 'Rekor service script');

describe.skipIf(rekor.skip)('rekor.sh stop', () => {
  const run = mkdtempSync(join(tmpdir(), 'cw-rekor-teardown-'));
  const base = Number(process.env.CHAINWATCH_TEST_PORT_BASE ?? 10000);
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^CHAINWATCH_(.*PORT.*|RUN)$/.test(k))),
    CHAINWATCH_RUN: run,
    // The next block up (or down at the top of the range): clear of this checkout's services.
    CHAINWATCH_TEST_PORT_BASE: String(base + 200 < 32_000 ? base + 200 : base - 200),
  };
  const sh = (cmd: string) => spawnSync('bash', [rekor.value!, cmd], { env, encoding: 'utf8' });
  afterAll(() => {
    sh('stop');
    rmSync(run, { recursive: true, force: true });
  });

  it('stops Rekor, Trillian and MariaDB within a few seconds, no SIGKILL after a timeout', () => {
    const start = sh('start');
    expect(start.status, start.stderr).toBe(0);
    const t0 = Date.now();
    const stop = sh('stop');
    const ms = Date.now() - t0;
    expect(stop.status).toBe(0);
    expect(stop.stderr).not.toContain('ignored SIG');
    expect(ms).toBeLessThan(8_000);
    expect(sh('status').status).not.toBe(0);
  }, 180_000);
});
