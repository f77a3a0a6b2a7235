/**
 * The CT chain as a user deploys it, against REAL logs: the daemon (a child process) follows ct_server
 * on Trillian (RFC 6962, scripts/services/ctlog.sh) and Sunlight (Static CT API, sunlight.sh) with the
 * real collector; certificates and precertificates from the logs' test CA are submitted with add-chain
 * and add-pre-chain; ct-watch pages once per unexpected certificate (a precertificate and its final
 * certificate, or one certificate in both logs, are ONE page), stays quiet on an allowlisted and on an
 * unwatched one; the page reaches a webhook; every audited entry is in the audit trail; cert-expiry
 * tracks the sightings (`certs list`) and fires its thresholds. The daemon is stopped half-way through
 * a batch of submissions and restarted on its data directory: no page is missed or repeated.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { startRecordingServer } from '../../core/testing/index.js';
import { type IssuedCert, finalCertOf, issueCert, issuePrecert, submit } from '../helpers/ct.js';
import { built, runCli, startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';
import { service } from '../helpers/services.js';

const ctlog = service('CHAINWATCH_TEST_CTLOG_URL', 'RFC 6962 CT log (ct_server)');
const sunlight = service('CHAINWATCH_TEST_SUNLIGHT_URL', 'Static CT log (Sunlight)');

interface Finding {
  rule: string;
  status?: string;
  dedupKey: string;
  causedBy?: string[];
  evidence: { sans?: { dns: string[] }; log?: { url: string; index: number; leafHash: string }; ctIdentity?: string };
}
type Hook = { dedupKey: string; action: string; finding: Finding };

const journal = (path: string): { type: string; data: Finding }[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('}'))
        .map((l) => JSON.parse(l) as { event?: { type: string; data: Finding } } & { type: string; data: Finding })
        .map((l) => l.event ?? l)
    : [];

describe.skipIf(ctlog.skip || sunlight.skip || !built())('CT logs -> collector -> ct-watch -> webhook, audit, cert-expiry (daemon process)', () => {
  it('one page per unexpected certificate across two real logs, quiet on expected ones, nothing missed or repeated across a restart', async () => {
    const rfcUrl = ctlog.value!;
    const rfcCa = process.env.CHAINWATCH_TEST_CTLOG_CA!;
    const staticSubmit = sunlight.value!;
    const staticCa = process.env.CHAINWATCH_TEST_SUNLIGHT_CA!;
    const mon = process.env.CHAINWATCH_TEST_SUNLIGHT_MONITORING_URL!;
    const staticKey = (JSON.parse(readFileSync(process.env.CHAINWATCH_TEST_SUNLIGHT_LOG_JSON!, 'utf8')) as { key: string }).key;
    const rfcSize = async (): Promise<number> => ((await (await fetch(`${rfcUrl}ct/v1/get-sth`)).json()) as { tree_size: number }).tree_size;
    const staticSize = async (): Promise<number> => Number((await (await fetch(`${mon}checkpoint`)).text()).split('\n')[1]);

    const dir = mkdtempSync(join(tmpdir(), 'cw-e2e-ct-'));
    const tag = `r${Date.now().toString(36)}`;
    const name = (n: string, zone = 'e2e.watch.test'): string => `${n}-${tag}.${zone}`;
    const server = await startRecordingServer(() => ({ status: 200 }));
    const hooks = (): Hook[] => server.requests.map((r) => r.json as Hook);
    const config = {
      bus: { kind: 'embedded', embedded: { pollInterval: '50ms' } },
      collectors: {
        ct: {
          logs: [
            {
              url: rfcUrl,
              api: 'rfc6962',
              key: readFileSync(process.env.CHAINWATCH_TEST_CTLOG_PUBKEY!, 'utf8'),
              start: { index: await rfcSize() },
              pollInterval: '200ms',
            },
            { url: mon, api: 'static', key: staticKey, start: { index: await staticSize() }, pollInterval: '200ms' },
          ],
        },
      },
      detectors: {
        ctWatch: {
          watch: { dnsNames: ['.e2e.watch.test'] },
          allow: [{ name: 'our ACME account', issuer: 'Chainwatch Test Intermediate', names: ['.allowed.e2e.watch.test'] }],
        },
        certExpiry: {},
      },
      sinks: {
        journal: { path: 'journal.jsonl' },
        audit: { key: { file: join(mkdtempSync(join(tmpdir(), 'cw-e2e-ct-key-')), 'audit-key.pem') } },
        alerts: {
          sweepInterval: '200ms',
          delivery: { pollInterval: '100ms' },
          routes: [{ name: 'ct', match: { rule: 'ct.*' }, sinks: ['soc'] }],
          receivers: [{ name: 'soc', kind: 'webhook', webhookUrl: `${server.url}/` }],
        },
      },
      shutdown: { deadline: '10s' },
    };
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(cfg, stringify(config));
    expect((await runCli(['config', 'check', cfg])).stderr).toBe('');

    // Other suites may submit to the same logs meanwhile: ours are told apart by their digests.
    const ours = new Set<string>();
    const track = (c: IssuedCert): void => void ours.add(`sha256:${createHash('sha256').update(c.der).digest('hex')}`);
    const toRfc = async (c: IssuedCert, pre = false) => (track(c), submit(rfcUrl, c, pre));
    const toStatic = async (c: IssuedCert, pre = false) => (track(c), submit(staticSubmit, c, pre));
    const audited = async (): Promise<number> => {
      const q = await runCli(['audit', 'query', '--type', 'dev.chainwatch.ct.entry.v1', '--json', '--limit', '1000', '--data-dir', dir, '--config', cfg]);
      return q.code === 0 ? (JSON.parse(q.stdout) as { records: { subject: string }[] }).records.filter((r) => ours.has(r.subject)).length : -1;
    };
    const allAudited = async (): Promise<void> => vi.waitFor(async () => expect(await audited()).toBe(ours.size), { timeout: 90_000, interval: 500 });
    const expected = new Map<string, string>(); // the DNS name each page must carry
    const stop = async (d: DaemonProcess): Promise<void> => {
      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
    };

    let d = await startDaemon(['--config', cfg, '--data-dir', dir]);
    try {
      // Phase 1, daemon running. A precertificate and its final certificate in the RFC 6962 log.
      const p1 = issuePrecert(rfcCa, name('p1'));
      const p1final = finalCertOf(rfcCa, p1, await toRfc(p1, true));
      await toRfc(p1final);
      expected.set(p1.dnsName, 'p1');
      const l1 = issueCert(staticCa, name('l1'));
      await toStatic(l1);
      expected.set(name('l1'), 'l1');
      // Expected issuance and an unwatched name: quiet.
      await toRfc(issueCert(rfcCa, name('a1', 'allowed.e2e.watch.test')));
      await toStatic(issueCert(staticCa, name('a2', 'allowed.e2e.watch.test')));
      await toStatic(issueCert(staticCa, name('u1', 'other.test')));
      await allAudited();
      await vi.waitFor(() => expect(hooks().length).toBe(2), { timeout: 30_000, interval: 100 });

      // Phase 2: submissions race a stop; the rest arrive while the daemon is down.
      const p2 = issuePrecert(staticCa, name('p2'));
      const p2sct = await toStatic(p2, true);
      expected.set(p2.dnsName, 'p2');
      await stop(d);
      await toStatic(finalCertOf(staticCa, p2, p2sct));
      const l2 = issueCert(rfcCa, name('l2'), { days: 10 });
      await toRfc(l2);
      expected.set(name('l2'), 'l2');
      await toRfc(issueCert(rfcCa, name('a3', 'allowed.e2e.watch.test')));

      d = await startDaemon(['--config', cfg, '--data-dir', dir]);
      await allAudited();
      await vi.waitFor(() => expect(hooks().length).toBe(4), { timeout: 30_000, interval: 100 });
      await new Promise((r) => setTimeout(r, 2000)); // anything extra would arrive now
    } finally {
      if (d.child.exitCode === null) await stop(d);
      await server.stop();
    }

    // The webhook: exactly one trigger per unexpected certificate, each with its evidence.
    const pages = hooks();
    expect(pages.map((h) => h.action)).toEqual(['trigger', 'trigger', 'trigger', 'trigger']);
    expect(pages.map((h) => h.finding.evidence.sans!.dns[0]).sort()).toEqual([...expected.keys()].sort());
    expect(new Set(pages.map((h) => h.dedupKey)).size).toBe(4);
    for (const p of pages) {
      expect(p.finding.rule).toBe('ct.unexpected_certificate');
      expect(p.finding.evidence.log!.leafHash).toMatch(/^[0-9a-f]{64}$/);
      expect([rfcUrl, mon].map((u) => u.replace(/\/$/, ''))).toContain(p.finding.evidence.log!.url);
    }
    // The journal (every finding the detectors emitted, before routing and dedup): still exactly four.
    const findings = journal(join(dir, 'journal.jsonl')).filter((e) => e.type === 'dev.chainwatch.finding.v1');
    // The journal (at-least-once) may hold a redelivery of a finding across the restart: the same
    // finding caused by the same entry. A second sighting (the final certificate of a reported
    // precertificate) would be caused by another entry: there must be none.
    const unexpected = findings.filter((f) => f.data.rule === 'ct.unexpected_certificate');
    const causes = new Map<string, Set<string>>();
    for (const f of unexpected) causes.set(f.data.dedupKey, (causes.get(f.data.dedupKey) ?? new Set()).add(JSON.stringify(f.data.causedBy)));
    expect(causes.size).toBe(4);
    for (const c of causes.values()) expect(c.size).toBe(1);
    // cert-expiry saw the 10-day certificate cross 30d and 14d, once each.
    expect(
      findings
        .filter((f) => f.data.rule === 'cert.expiring')
        .map((f) => f.data.dedupKey)
        .sort(),
    ).toEqual([expect.stringMatching(/\|14d$/), expect.stringMatching(/\|30d$/)]);

    const list = await runCli(['certs', 'list', '--json', '--config', cfg, '--data-dir', dir]);
    expect(list.code).toBe(0);
    const items = (JSON.parse(list.stdout) as { items: { source: string; label: string; daysLeft: number }[] }).items.filter((i) => i.source === 'ct');
    for (const n of expected.keys())
      expect(
        items.filter((i) => i.label.includes(n)),
        n,
      ).toHaveLength(1);
    expect(items.find((i) => i.label.includes(name('l2')))!.daysLeft).toBeLessThanOrEqual(10);
  });
});
