/**
 * The audit trail against someone with write access to the data directory, through the real
 * daemon and CLI processes (issue 8 items 1-5): deleted checkpoints are UNVERIFIABLE (exit 3),
 * a row forged at a negative index is BROKEN (exit 1) and never served over HTTP, a lost key is
 * replaced loudly and the key history still verifies the old checkpoints, the old key (stolen
 * before the loss) cannot sign past its rotation, even with the key history edited, and
 * checkpoints saved from the public endpoint are accepted by `audit verify --checkpoint`.
 */
import { chmodSync, copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readKeyHistory } from '../../sinks/audit/index.js';
import { sqliteTamperer } from '../../sinks/audit/testing/index.js';
import { built, runCli, startDaemon } from '../helpers/daemon-process.js';

const ev = (seq: number) =>
  JSON.stringify({ specversion: '1.0', id: `adv-${seq}`, source: 'urn:e2e', type: 'dev.chainwatch.system.probe.v1', subject: `s-${seq}`, data: { seq } });

const dirs: string[] = [];
afterAll(() => {
  delete process.env.CW_ADV_AUDITOR_TOKEN;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!built())('audit trail against an attacker with write access to the data directory', () => {
  it('deleted checkpoints, a negative index, a lost key, saved checkpoints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-audit-adv-'));
    dirs.push(dir);
    const db = join(dir, 'audit', 'audit.db');
    // A tight cadence (a checkpoint every 2 records, one record per batch) so deletions show at once.
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(
      cfg,
      'sinks:\n  audit:\n    checkpointEvery: 2\n    maxBatch: 1\n    api:\n      auth:\n        bearer: [{ token: { env: CW_ADV_AUDITOR_TOKEN }, principal: auditor }]\n',
    );
    // The daemon and the CLI children inherit it (both load the config, which names the secret).
    process.env.CW_ADV_AUDITOR_TOKEN = 'adv-auditor-t0ken';
    const auditor = { headers: { authorization: 'Bearer adv-auditor-t0ken' } };
    const at = (extra: string[] = []) => ['--data-dir', dir, '--config', cfg, ...extra];
    let d = await startDaemon(at());
    try {
      expect((await runCli(['events', 'publish', 'system', ...at()], [1, 2, 3, 4, 5].map(ev).join('\n'))).code).toBe(0);
      await vi.waitFor(
        async () => {
          const q = await runCli(['audit', 'query', '--type', 'dev.chainwatch.system.probe.v1', '--json', ...at()]);
          expect(q.code === 0 && (JSON.parse(q.stdout) as { records: unknown[] }).records.length === 5).toBe(true);
        },
        { timeout: 60_000, interval: 200 },
      );
      d.child.kill('SIGTERM'); // the final flush signs a checkpoint over everything
      expect(await d.exited).toBe(0);
      expect(d.stderr() + d.stdout()).toMatch(/inside the data directory/);
      d = await startDaemon(at());
      // Published out of the store, without a token: an auditor saves it.
      const latest = await fetch(`${d.url}/audit/checkpoints/latest`);
      expect(latest.status).toBe(200);
      const savedDir = mkdtempSync(join(tmpdir(), 'cw-audit-adv-saved-'));
      dirs.push(savedDir);
      writeFileSync(join(savedDir, 'latest.note'), await latest.text());
      // Records carry payloads: a token is needed.
      expect((await fetch(`${d.url}/audit/records?index=0`)).status).toBe(401);
      expect((await fetch(`${d.url}/audit/records?index=-1`, auditor)).status).toBe(400);
      expect((await fetch(`${d.url}/audit/records?index=0`, auditor)).status).toBe(200);
      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);

      const ok = await runCli(['audit', 'verify', '--checkpoint', savedDir, ...at()]);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      const malformed = join(savedDir, 'junk.note');
      writeFileSync(malformed, 'not a checkpoint\n');
      const bad = await runCli(['audit', 'verify', '--checkpoint', malformed, ...at()]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(malformed);
      rmSync(malformed);

      // Key loss: the daemon generates a new key loudly, records it in the trail, and the key
      // history (checkpoint-key.vkey) verifies checkpoints of both keys.
      const stolenDir = mkdtempSync(join(tmpdir(), 'cw-audit-adv-stolen-'));
      dirs.push(stolenDir);
      const stolen = join(stolenDir, 'old-key.pem');
      copyFileSync(join(dir, 'audit', 'checkpoint-key.pem'), stolen);
      chmodSync(stolen, 0o600);
      rmSync(join(dir, 'audit', 'checkpoint-key.pem'));
      d = await startDaemon(at());
      await vi.waitFor(() => expect(d.stderr() + d.stdout()).toMatch(/key was missing/), { timeout: 30_000 });
      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
      expect(readKeyHistory(join(dir, 'audit', 'checkpoint-key.vkey'))).toHaveLength(2);
      const afterLoss = await runCli(['audit', 'verify', '--json', '--checkpoint', savedDir, ...at()]);
      expect(afterLoss.code, afterLoss.stdout + afterLoss.stderr).toBe(0);
      // The old key was lost, so it could not sign the new history entry: reported, not fatal.
      expect(afterLoss.stderr).toMatch(/KEY_UNCHAINED: unchained key from size \d+/);
      const q = await runCli(['audit', 'query', '--type', 'operator.key-change', '--json', ...at()]);
      expect((JSON.parse(q.stdout) as { records: unknown[] }).records).toHaveLength(1);

      // Deleting checkpoints needs no key: unverifiable (3), with the unsigned range named.
      const copy = mkdtempSync(join(tmpdir(), 'cw-audit-adv-copy-'));
      dirs.push(copy);
      cpSync(join(dir, 'audit'), join(copy, 'audit'), { recursive: true });
      await sqliteTamperer(join(copy, 'audit', 'audit.db')).deleteCheckpoints();
      const gone = await runCli(['audit', 'verify', '--data-dir', copy, '--config', cfg]);
      expect(gone.code, gone.stdout + gone.stderr).toBe(3);
      expect(gone.stdout).toMatch(/UNVERIFIABLE: UNSIGNED_RANGE/);
      expect(gone.stdout).toMatch(/unsigned range: records 0\.\.\d+/);

      // The old key, stolen before the loss, signs a checkpoint past its rotation: its range (closed
      // at the rotation) does not cover it; dropping the close line, which the successor signed,
      // is a tampered history. Both broken (1); before the close line was signed and checked, the second verified as intact.
      const resigned = mkdtempSync(join(tmpdir(), 'cw-audit-adv-resign-'));
      dirs.push(resigned);
      cpSync(join(dir, 'audit'), join(resigned, 'audit'), { recursive: true });
      const thiefCfg = join(resigned, 'thief.yaml');
      writeFileSync(thiefCfg, `sinks:\n  audit:\n    checkpointEvery: 2\n    maxBatch: 1\n    key: { file: ${stolen} }\n`);
      const thief = (args: string[]) => runCli([...args, '--data-dir', resigned, '--config', thiefCfg]);
      expect((await thief(['audit', 'note', 'nothing to see'])).code).toBe(0);
      const resign = await thief(['audit', 'checkpoint']);
      expect(resign.code, resign.stdout + resign.stderr).toBe(0);
      expect(resign.stdout).toMatch(/signed checkpoint of size/);
      const outOfRange = await thief(['audit', 'verify', '--json']);
      expect(outOfRange.code, outOfRange.stdout + outOfRange.stderr).toBe(1);
      expect((JSON.parse(outOfRange.stdout) as { problem: { code: string } }).problem.code).toBe('CHECKPOINT_KEY_OUT_OF_RANGE');
      const history = join(resigned, 'audit', 'checkpoint-key.vkey');
      const lines = readFileSync(history, 'utf8').split('\n');
      writeFileSync(history, lines.filter((l) => !l.includes('"kind":"close"')).join('\n'));
      const unclosed = await thief(['audit', 'verify', '--json']);
      expect(unclosed.code, unclosed.stdout + unclosed.stderr).toBe(1);
      expect((JSON.parse(unclosed.stdout) as { problem: { code: string } }).problem.code).toBe('KEY_HISTORY_TAMPERED');

      // A row forged at a negative index: broken (1), and the genuine record is still served.
      await sqliteTamperer(db).copyRecord(2, -1);
      const neg = await runCli(['audit', 'verify', '--json', ...at()]);
      expect(neg.code).toBe(1);
      expect((JSON.parse(neg.stdout) as { problem: { code: string } }).problem.code).toBe('RECORD_OUT_OF_RANGE');
      d = await startDaemon(at());
      const genuine = await fetch(`${d.url}/audit/records/adv-3`, auditor);
      expect(genuine.status).toBe(200);
      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);

      // Read-only commands never create a store.
      const typo = join(dir, 'typo');
      const miss = await runCli(['audit', 'query', '--data-dir', typo, '--config', cfg]);
      expect(miss.code).not.toBe(0);
      expect(existsSync(typo)).toBe(false);
    } finally {
      d.child.kill('SIGKILL');
    }
  }, 180_000);
});
