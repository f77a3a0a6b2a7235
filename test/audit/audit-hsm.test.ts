/**
 * Issue 14 item 1: the audit trail's checkpoint key in an HSM (SoftHSM2, a fresh token): the
 * daemon signs checkpoints in the token, no private key lands in the data directory, and
 * `chainwatch audit verify` accepts them with a verifier key made from the public key alone (the
 * one imported into the token, not what chainwatch wrote). A wrong PIN refuses the start with
 * exit 2 and coded reasons instead of a crash-looping sink.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { formatVerifierKey } from '../../core/tlog/index.js';
import { built, runCli, startDaemon } from '../helpers/daemon-process.js';
import { importKey, keyUri, newToken, softhsm, type SoftToken } from '../helpers/softhsm.js';

const ev = (seq: number): string =>
  JSON.stringify({ specversion: '1.0', id: `hsm-${seq}`, source: 'urn:e2e', type: 'dev.chainwatch.system.probe.v1', subject: `s-${seq}`, data: { seq } });

function setup(token: SoftToken): { dir: string; cfg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cw-audit-hsm-'));
  const cfg = join(dir, 'chainwatch.yaml');
  writeFileSync(
    cfg,
    [
      `dataDir: ${dir}`,
      'sinks:',
      '  audit:',
      '    api: { public: true }',
      '    key:',
      '      pkcs11:',
      `        uri: "${keyUri(token, 'audit-checkpoint')}"`,
      `        module: ${token.module}`,
      '        pin: { env: CW_TEST_HSM_PIN }',
      '',
    ].join('\n'),
  );
  return { dir, cfg };
}

describe.skipIf(softhsm.skip || !built())('audit checkpoints signed in a PKCS#11 token (daemon and CLI processes)', () => {
  it.each(['ecdsa', 'ed25519'] as const)(
    '%s: signs checkpoints in the token; audit verify accepts them with the exported public key; no private key in the data dir; no preflight warning',
    async (type) => {
      const token = newToken('audit');
      const { privateKey, publicKey } = type === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
      importKey(token, privateKey, 'audit-checkpoint', '0a');
      const { dir, cfg } = setup(token);
      const env = { SOFTHSM2_CONF: token.conf, CW_TEST_HSM_PIN: token.pin };

      const check = await runCli(['config', 'check', cfg], undefined, env);
      expect(check.code, check.stderr).toBe(0);
      expect(check.stderr).not.toMatch(/warning/);

      const d = await startDaemon(['--config', cfg], env);
      try {
        expect((await runCli(['events', 'publish', 'system', '--config', cfg], [1, 2, 3, 4, 5].map(ev).join('\n'), env)).code).toBe(0);
        await vi.waitFor(
          async () => {
            const q = await runCli(['audit', 'query', '--json', '--config', cfg], undefined, env);
            expect(q.code === 0 && (JSON.parse(q.stdout) as { records: unknown[] }).records.length >= 5).toBe(true);
          },
          { timeout: 60_000, interval: 200 },
        );
        const cp = await runCli(['audit', 'checkpoint', '--config', cfg], undefined, env);
        expect(cp.code, cp.stderr).toBe(0);
      } finally {
        d.child.kill('SIGTERM');
        expect(await d.exited).toBe(0);
      }
      // The verifier key comes from the public key we imported, not from chainwatch's key history.
      const vkey = join(mkdtempSync(join(tmpdir(), 'cw-auditor-')), 'hsm.vkey');
      writeFileSync(vkey, `${formatVerifierKey('chainwatch.audit/default', type, publicKey)}\n`);
      const ok = await runCli(['audit', 'verify', '--vkey', vkey, '--config', cfg], undefined, env);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      // Another key's verifier key rejects the same checkpoints (the test can fail).
      const other = join(mkdtempSync(join(tmpdir(), 'cw-auditor-')), 'other.vkey');
      const otherKey = type === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey : generateKeyPairSync('ed25519').publicKey;
      writeFileSync(other, `${formatVerifierKey('chainwatch.audit/default', type, otherKey)}\n`);
      expect((await runCli(['audit', 'verify', '--vkey', other, '--config', cfg], undefined, env)).code).not.toBe(0);
      const pems = readdirSync(join(dir, 'audit')).filter((f) => f.endsWith('.pem'));
      expect(pems).toEqual([]);
    },
  );

  it('a wrong PIN refuses the start: exit 2, CONFIG_UNSAFE naming KEY_PIN_INCORRECT, nothing consumed', async () => {
    const token = newToken('audit');
    importKey(token, generateKeyPairSync('ed25519').privateKey, 'audit-checkpoint', '0b');
    const { dir, cfg } = setup(token);
    const run = await runCli(['run', '--port', '0', '--config', cfg], undefined, { SOFTHSM2_CONF: token.conf, CW_TEST_HSM_PIN: 'wrong-pin-1234' });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/CONFIG_UNSAFE/);
    expect(run.stderr).toMatch(/KEY_PIN_INCORRECT/);
    expect(run.stderr).not.toContain('wrong-pin-1234');
    expect(existsSync(join(dir, 'audit', 'audit.db'))).toBe(false);
  });
});
