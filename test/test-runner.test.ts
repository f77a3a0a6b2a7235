/**
 * The test runner itself (scripts/test.sh and what it uses): it starts only the services the
 * selected tests need, derives a run directory and port block per checkout, rebuilds only when
 * sources changed, and a vitest run leaves nothing in the temp dir.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/daemon-process.js';

/** process.env without the variables scripts/test.sh exports (so the defaults are what is tested). */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^CHAINWATCH_/.test(k) || k === 'CHAINWATCH_CACHE'));
  return { ...env, ...extra };
}

const services = (...args: string[]): string => execFileSync(process.execPath, ['scripts/test-services.mjs', ...args], { cwd: ROOT, encoding: 'utf8' }).trim();

describe('services are derived from the selected tests', () => {
  it('unit tests need none; a folder or file needs what its suites declare; everything needs all fourteen', () => {
    expect(services('--project', 'unit')).toBe('');
    expect(services('--project=unit', 'daemon')).toBe('');
    expect(services('test/cli.test.ts')).toBe('');
    expect(services('test/bus')).toBe('kafka');
    expect(services('--project', 'integration', 'test/sinks/email.test.ts')).toBe('mailpit');
    expect(services('-t', 'x', 'test/rekor.test.ts', 'test/audit')).toBe('opensearch rekor softhsm');
    expect(services('test/keys')).toBe('softhsm');
    expect(services('test/ct.test.ts')).toBe('ctlog sunlight');
    expect(services()).toBe('alertmanager cosign ctlog kafka kube mailpit model-venv ocireg opensearch registry rekor rekor2 softhsm sunlight');
    expect(services('test/trust-oci-cosign.test.ts')).toBe('cosign');
    expect(services('test/rekor2-peer.test.ts')).toBe('rekor2');
  });
});

describe('per-checkout run directory and ports', () => {
  const defaults = (root: string): Record<string, string> => {
    const out = execFileSync('bash', ['-c', 'source scripts/services/lib.bash && env | grep -E "^CHAINWATCH_(RUN|.*PORT.*)="'], {
      cwd: ROOT,
      env: cleanEnv({ CHAINWATCH_ROOT: root }),
      encoding: 'utf8',
    });
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
  };

  it('two checkouts get different run directories and port blocks, each block below the ephemeral range', () => {
    const a = defaults('/work/checkout-a');
    const b = defaults('/work/checkout-b');
    expect(a.CHAINWATCH_RUN).not.toBe(b.CHAINWATCH_RUN);
    expect(a.CHAINWATCH_TEST_PORT_BASE).not.toBe(b.CHAINWATCH_TEST_PORT_BASE);
    for (const d of [a, b]) {
      const ports = Object.entries(d)
        .filter(([k]) => k !== 'CHAINWATCH_RUN' && k !== 'CHAINWATCH_TEST_PORT_BASE')
        .map(([, v]) => Number(v));
      expect(ports).toHaveLength(16);
      expect(new Set(ports).size).toBe(16);
      const base = Number(d.CHAINWATCH_TEST_PORT_BASE);
      for (const p of ports) expect(p - base).toBeGreaterThanOrEqual(0);
      // +100/+101 (opensearch transport, trillian signer) must stay inside the 200-port block.
      for (const p of ports) expect(p + 101).toBeLessThan(Math.min(base + 200, 32768));
    }
    expect(defaults('/work/checkout-a')).toEqual(a);
  });
});

describe('a vitest run cleans up its temp directories', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cw-runner-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('leaves nothing in TMPDIR', () => {
    // This unit file makes a cw-cli-* directory per case and used to leave them all behind.
    const r = spawnSync('npx', ['vitest', 'run', '--project', 'unit', 'daemon/cli/commands/events.test.ts'], {
      cwd: ROOT,
      env: cleanEnv({ TMPDIR: tmp }),
      encoding: 'utf8',
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    // Node's own module compile cache (vitest turns it on) is not ours to remove.
    expect(readdirSync(tmp).filter((n) => n !== 'node-compile-cache')).toEqual([]);
  });
});

describe('setup rebuilds only when sources changed', () => {
  it('a second setup finds the build up to date', () => {
    const run = () => spawnSync('bash', ['scripts/setup.sh'], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
    expect(run().status).toBe(0);
    const second = run();
    expect(second.status).toBe(0);
    expect(second.stderr).toContain('build is up to date');
    expect(second.stderr).not.toContain('building');
  }, 120_000);
});
