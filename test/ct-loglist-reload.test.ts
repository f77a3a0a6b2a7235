/**
 * Log list v3 reload through the daemon process, against the REAL logs (ct_server on Trillian,
 * Sunlight): the daemon follows the usable logs of collectors.ct.logList; when the file changes, the
 * supervisor reconciles without a restart (a newly listed usable log starts, a retired one stops,
 * the others keep running); a list that does not parse is logged with its code and the last good
 * list stays in force.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { built, startDaemon } from './helpers/daemon-process.js';
import { service } from './helpers/services.js';

const ctlog = service('CHAINWATCH_TEST_CTLOG_URL', 'RFC 6962 CT log (ct_server)');
const sunlight = service('CHAINWATCH_TEST_SUNLIGHT_URL', 'Static CT log (Sunlight)');

describe.skipIf(ctlog.skip || sunlight.skip || !built())('CT log list reload (daemon process)', () => {
  it('a changed list starts new usable logs and stops retired ones without a restart; a bad list is refused with its code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-ct-loglist-'));
    const rfcUrl = ctlog.value!;
    const rfcDer = createPublicKey(readFileSync(process.env.CHAINWATCH_TEST_CTLOG_PUBKEY!, 'utf8')).export({ type: 'spki', format: 'der' });
    const rfcLog = (state: string) => ({
      description: 'chainwatch test rfc6962',
      log_id: createHash('sha256').update(rfcDer).digest('base64'),
      key: rfcDer.toString('base64'),
      url: rfcUrl,
      state: { [state]: { timestamp: '2026-01-01T00:00:00Z' } },
    });
    const staticJson = JSON.parse(readFileSync(process.env.CHAINWATCH_TEST_SUNLIGHT_LOG_JSON!, 'utf8')) as Record<string, unknown>;
    const staticLog = { ...staticJson, state: { usable: { timestamp: '2026-01-01T00:00:00Z' } } };
    const listPath = join(dir, 'log_list.json');
    const writeList = (logs: unknown[], tiled: unknown[]): void =>
      writeFileSync(listPath, JSON.stringify({ version: '3.0', operators: [{ name: 'chainwatch-test', logs, tiled_logs: tiled }] }));
    const rfcName = `collector.ct:primary:${rfcUrl.replace(/\/$/, '')}`;
    const staticName = `collector.ct:primary:${String(staticJson.monitoring_url).replace(/\/$/, '')}`;

    writeList([rfcLog('usable')], []);
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(cfg, stringify({ collectors: { ct: { logList: { path: listPath, defaults: { pollInterval: '200ms' } } } }, shutdown: { deadline: '10s' } }));
    const d = await startDaemon(['--config', cfg, '--data-dir', dir]);
    const components = async (): Promise<string[]> => {
      const r = (await (await fetch(`${d.url}/readyz`)).json()) as { checks: { components: { name: string; state: string }[] } };
      return r.checks.components
        .filter((c) => c.name.startsWith('collector.ct:') && c.state === 'running')
        .map((c) => c.name)
        .sort();
    };
    try {
      await vi.waitFor(async () => expect(await components()).toEqual([rfcName]), { timeout: 15_000, interval: 100 });

      writeList([rfcLog('usable')], [staticLog]);
      await vi.waitFor(async () => expect(await components()).toEqual([rfcName, staticName].sort()), { timeout: 15_000, interval: 100 });

      writeFileSync(listPath, '{"operators": [{"name": "x", "logs": [ {"log_id": 1} ');
      await vi.waitFor(() => expect(d.stdout() + d.stderr()).toMatch(/"code":"CT_LOGLIST_INVALID"/), { timeout: 15_000, interval: 100 });
      expect(await components()).toEqual([rfcName, staticName].sort());
      expect(d.child.exitCode).toBeNull();

      writeList([rfcLog('retired')], [staticLog]);
      await vi.waitFor(async () => expect(await components()).toEqual([staticName]), { timeout: 15_000, interval: 100 });
      const ready = (await (await fetch(`${d.url}/readyz`)).json()) as { checks: { components: { name: string; ready: boolean }[] } };
      expect(ready.checks.components.find((c) => c.name === staticName)?.ready).toBe(true);
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
    }
  });
});
