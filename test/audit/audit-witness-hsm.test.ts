/**
 * Issue 14: witnessed audit checkpoints with the witness key held in a PKCS#11 token (SoftHSM2, a
 * fresh token). The daemon signs each checkpoint with its local file key and has the witness
 * cosign it in the token before it is stored; `audit verify --witness-key` accepts the trail. Then
 * an attacker with the data directory and the local key writes a changed history and signs it
 * with the local key alone: `audit verify` without the witness still accepts it (the local key is
 * all it has), and with the required witness key rejects it: exit 1, WITNESS_MISSING.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseNote } from '../../core/tlog/index.js';
import { checkpointKeyFrom, signCheckpoint, SqliteAuditStore } from '../../sinks/audit/index.js';
import { sampleEntries } from '../../sinks/audit/testing/index.js';
import { openFileKey } from '../../keys/index.js';
import { built, runCli, startDaemon } from '../helpers/daemon-process.js';
import { importKey, keyUri, newToken, softhsm } from '../helpers/softhsm.js';

const ev = (seq: number): string =>
  JSON.stringify({ specversion: '1.0', id: `wit-${seq}`, source: 'urn:e2e', type: 'dev.chainwatch.system.probe.v1', subject: `s-${seq}`, data: { seq } });

describe.skipIf(softhsm.skip || !built())('witnessed audit checkpoints, witness key in a PKCS#11 token (daemon and CLI processes)', () => {
  it('cosigns in the token; verify --witness-key accepts; a history re-signed with the local key alone is WITNESS_MISSING (exit 1)', async () => {
    const token = newToken('witness');
    importKey(token, generateKeyPairSync('ed25519').privateKey, 'audit-witness', '0c');
    const dir = mkdtempSync(join(tmpdir(), 'cw-audit-witness-'));
    const witnessDir = mkdtempSync(join(tmpdir(), 'cw-witness-home-'));
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(
      cfg,
      [
        `dataDir: ${dir}`,
        'sinks:',
        '  audit:',
        '    api: { public: true }',
        `    key: { file: ${join(dir, 'keys', 'checkpoint.pem')} }`,
        '    witness:',
        '      name: witness.example/hsm',
        `      state: ${join(witnessDir, 'state.json')}`,
        '      key:',
        '        pkcs11:',
        `          uri: "${keyUri(token, 'audit-witness')}"`,
        `          module: ${token.module}`,
        '          pin: { env: CW_TEST_WITNESS_PIN }',
        '',
      ].join('\n'),
    );
    const env = { SOFTHSM2_CONF: token.conf, CW_TEST_WITNESS_PIN: token.pin };
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
    const wkey = join(witnessDir, 'state.vkey');
    expect(readFileSync(wkey, 'utf8')).toMatch(/^witness\.example\/hsm\+[0-9a-f]{8}\+/);
    const state = JSON.parse(readFileSync(join(witnessDir, 'state.json'), 'utf8')) as { logs: Record<string, { size: number }> };
    expect(state.logs['chainwatch.audit/default']!.size).toBeGreaterThanOrEqual(5);
    const ok = await runCli(['audit', 'verify', '--witness-key', wkey, '--config', cfg], undefined, env);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);

    // The attacker: the data directory and the local key file, not the token's PIN nor the witness state.
    const db = join(dir, 'audit', 'audit.db');
    const size = (JSON.parse((await runCli(['audit', 'verify', '--json', '--config', cfg], undefined, env)).stdout) as { records: number }).records;
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    const local = checkpointKeyFrom('chainwatch.audit/default', openFileKey(join(dir, 'keys', 'checkpoint.pem')));
    const s = new SqliteAuditStore({ path: db });
    await s.open();
    const forged = sampleEntries(size);
    forged[1] = { ...forged[1]!, payload: { rewritten: true } };
    await s.append(forged);
    const resigned = await signCheckpoint(s, local, new Date());
    await s.close();
    expect(parseNote(resigned!.note).signatures.map((x) => x.name)).toEqual(['chainwatch.audit/default']);

    const alone = await runCli(['audit', 'verify', '--json', '--config', cfg], undefined, env);
    expect(alone.code, alone.stdout + alone.stderr).toBe(0);
    const witnessed = await runCli(['audit', 'verify', '--json', '--witness-key', wkey, '--config', cfg], undefined, env);
    expect(witnessed.code, witnessed.stdout + witnessed.stderr).toBe(1);
    expect(JSON.parse(witnessed.stdout)).toMatchObject({ verdict: 'broken', problem: { code: 'WITNESS_MISSING' } });
  });
});
