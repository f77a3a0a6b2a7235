import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { built, runCli } from '../helpers/daemon-process.js';

/**
 * Issue 8 item 9: with a key others can read, the daemon used to start anyway; the audit sink
 * crash-looped and, past the bus's retention, events aged out unaudited. Now the audit module's
 * preflight refuses the start (exit 2, CONFIG_UNSAFE) before anything consumes, and `config check`
 * says the same; a key inside the data directory is a warning from both.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDirWithKey(mode: number): { dir: string; key: string; cfg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cw-audit-preflight-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'audit'), { mode: 0o700 });
  const key = join(dir, 'audit', 'checkpoint-key.pem');
  writeFileSync(key, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(key, mode);
  const cfg = join(dir, 'chainwatch.yaml');
  writeFileSync(cfg, `dataDir: ${dir}\n`);
  return { dir, key, cfg };
}

describe.skipIf(!built())('audit checkpoint key preflight (daemon and config check processes)', () => {
  it('refuses to start on a key readable by group/others: exit 2, CONFIG_UNSAFE, nothing consumed, key left as it was', async () => {
    const { dir, key } = dataDirWithKey(0o640);
    const run = await runCli(['run', '--port', '0', '--data-dir', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/CONFIG_UNSAFE/);
    expect(run.stderr).toMatch(/KEY_INSECURE/);
    expect(existsSync(join(dir, 'audit', 'audit.db'))).toBe(false);
    expect(statSync(key).mode & 0o777).toBe(0o640);
  });

  it('config check: exit 2 naming the key on an insecure key; a warning (exit 0) on a usable key inside the data directory', async () => {
    const bad = dataDirWithKey(0o644);
    const refused = await runCli(['config', 'check', bad.cfg]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/CONFIG_UNSAFE/);
    const ok = dataDirWithKey(0o600);
    const warned = await runCli(['config', 'check', ok.cfg]);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toMatch(/warning: .*inside the data directory/);
  });
});
