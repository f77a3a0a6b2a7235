/**
 * The certificate detectors through the real daemon process: audited CT entries (real log entries
 * and a certificate made here by a test CA) are published with `chainwatch events publish` as the
 * CT collector would; the daemon's ct-watch and cert-expiry (configured from YAML, planned and
 * supervised like any module) turn them into findings in the journal; `chainwatch certs list`
 * reads the inventory the daemon left behind.
 */
import { createHash, webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata'; // before @peculiar/x509 (tsyringe needs it)
import * as px from '@peculiar/x509';
import { describe, expect, it, vi } from 'vitest';
import { realdata } from '../../core/testing/index.js';
import { built, runCli, startDaemon } from '../helpers/daemon-process.js';

const rd = realdata();
const DAY = 86_400_000;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let seq = 0;
function ctEntry(der: Buffer, log: string): string {
  const index = seq++;
  return JSON.stringify({
    specversion: '1.0',
    id: `ct-${log}-${index}`,
    source: 'chainwatch://collectors/ct',
    type: 'dev.chainwatch.ct.entry.v1',
    subject: `sha256:${sha256(der)}`,
    data: {
      log: { logId: Buffer.alloc(32, log.length).toString('base64'), url: `https://${log}/`, api: 'rfc6962' },
      index,
      leafHash: sha256(Buffer.from(`leaf ${index}`)),
      timestamp: new Date().toISOString(),
      entryType: 'x509',
      certDer: der.toString('base64'),
      certSha256: sha256(der),
      chainDer: [],
      verification: { audited: true, treeHead: { size: index + 1, rootHash: Buffer.alloc(32).toString('base64') } },
    },
  });
}

async function leafExpiringIn(days: number, name: string): Promise<Buffer> {
  px.cryptoProvider.set(webcrypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const c = await px.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + days * DAY),
    keys,
    signingAlgorithm: alg,
    extensions: [new px.SubjectAlternativeNameExtension([{ type: 'dns', value: name }])],
  });
  return Buffer.from(c.rawData);
}

interface Journaled {
  type: string;
  data: { rule?: string; status?: string; dedupKey?: string; evidence?: Record<string, unknown> };
}
const journal = (path: string): Journaled[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('}'))
        .map((l) => JSON.parse(l) as { event: Journaled } & Journaled)
        .map((l) => l.event ?? l)
    : [];

describe.skipIf(!built() || rd.skip)('certificates end to end through the daemon', () => {
  it('one finding per unexpected certificate across logs, the inventory fires its threshold, certs list reads it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-e2e-certs-'));
    const { entries } = JSON.parse(readFileSync(join(rd.dir, 'ct/api/scanner-get-entries-4.json'), 'utf8')) as { entries: { leaf_input: string }[] };
    const real = entries.map((e) => {
      const leaf = Buffer.from(e.leaf_input, 'base64');
      return leaf.subarray(15, 15 + leaf.readUIntBE(12, 3));
    });
    const ours = await leafExpiringIn(10, 'www.example.com');
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(
      cfg,
      [
        'bus: { kind: embedded, embedded: { pollInterval: 50ms } }',
        'sinks: { journal: { path: journal.jsonl } }',
        'detectors:',
        '  ctWatch: { watch: { dnsNames: [.google.com, www.example.com] } }',
        '  certExpiry: {}',
        'shutdown: { deadline: 10s }',
        '',
      ].join('\n'),
    );
    const input = [...real.map((d) => ctEntry(d, 'log-a.example')), ctEntry(ours, 'log-a.example'), ctEntry(ours, 'log-b.example')].join('\n');
    const pub = await runCli(['events', 'publish', 'ct', '-', '--config', cfg, '--data-dir', dir], input);
    expect(pub.stderr).toContain('published 6 event(s) to chainwatch.ct');

    const d = await startDaemon(['--config', cfg, '--data-dir', dir]);
    const path = join(dir, 'journal.jsonl');
    const findings = () => journal(path).filter((e) => e.type === 'dev.chainwatch.finding.v1');
    try {
      await vi.waitFor(() => expect(findings().filter((f) => f.data.rule === 'cert.expiring').length).toBe(2), { timeout: 90_000, interval: 200 });
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
    }
    const unexpected = findings().filter((f) => f.data.rule === 'ct.unexpected_certificate');
    expect(unexpected.map((f) => (f.data.evidence as { sans: { dns: string[] } }).sans.dns).sort()).toEqual([['mail.google.com'], ['www.example.com']]);
    // The certificate in two logs: one finding, and its inventory item crossed 30d and 14d (10 days left).
    expect(
      findings()
        .filter((f) => f.data.rule === 'cert.expiring')
        .map((f) => f.data.dedupKey),
    ).toEqual([expect.stringMatching(/\|30d$/), expect.stringMatching(/\|14d$/)]);

    const list = await runCli(['certs', 'list', '--expiring', '30d', '--json', '--config', cfg, '--data-dir', dir]);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { items: { source: string; label: string; daysLeft: number }[] }).items).toEqual([
      expect.objectContaining({ source: 'ct', label: 'CN=www.example.com [www.example.com]', daysLeft: 9 }),
    ]);
  });
});
