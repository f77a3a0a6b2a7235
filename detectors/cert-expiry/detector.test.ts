import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import 'reflect-metadata'; // before @peculiar/x509 (tsyringe needs it)
import * as px from '@peculiar/x509';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, CtWatchedCertificateEvent, type Finding, makeEvent, runCommand, topicFor } from '../../core/index.js';
import { MemoryKeyProvider, realdata, testContext } from '../../core/testing/index.js';
import { certsListCommand, createCertExpiryDetector, RULE_EXPIRING } from './index.js';
import type { CertExpiryDeps } from './detector.js';
import { certExpiryModule } from './module.js';

/**
 * cert-expiry with a controlled clock: certificates made here by a test CA (@peculiar/x509 over
 * node's WebCrypto; nothing stored), in files, behind a loopback TLS server started in the test,
 * and sighted by ct-watch; the real Sigstore trusted root and TUF root from the shared real data.
 */
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const rd = realdata();

px.cryptoProvider.set(webcrypto);
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
async function makeCert(cn: string, notAfter: number, issuer?: { name: string; key: webcrypto.CryptoKey }) {
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const c = await px.X509CertificateGenerator.create({
    serialNumber: Math.floor(Math.random() * 1e9)
      .toString(16)
      .padStart(8, '0'),
    subject: `CN=${cn}`,
    issuer: issuer?.name ?? `CN=${cn}`,
    notBefore: new Date(T0 - 30 * DAY),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: issuer?.key ?? keys.privateKey,
    signingAlgorithm: alg,
    extensions: [new px.SubjectAlternativeNameExtension([{ type: 'dns', value: cn }])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return {
    pem: c.toString('pem'),
    der: Buffer.from(c.rawData),
    key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`,
    privateKey: keys.privateKey,
    name: `CN=${cn}`,
  };
}

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function harness(config: Record<string, unknown>, dataDir = mkdtempSync(join(tmpdir(), 'cw-expiry-')), deps: CertExpiryDeps = {}) {
  dirs.push(dataDir);
  const ctx = testContext(dataDir, T0);
  const { bus, clock } = ctx;
  const detector = createCertExpiryDetector(config, ctx, deps);
  await detector.start();
  await detector.flush(); // the scans at start
  const findings = () => bus.events(topicFor('findings')).map((e) => e.data as Finding);
  return { bus, clock, detector, dataDir, findings, summary: () => findings().map((f) => `${f.status} ${f.labels.threshold} ${f.severity}`) };
}

describe("cert-expiry: the daemon's own serving certificate", () => {
  it('fires as the serving certificate nears expiry and resolves when the file is rotated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-serving-'));
    dirs.push(dir);
    const path = join(dir, 'tls.crt');
    writeFileSync(path, (await makeCert('webhook.chainwatch.svc', T0 + 10 * DAY)).pem);
    const h = await harness({}, undefined, { servingCertificate: path });
    expect(h.summary()).toEqual(['firing 30d low', 'firing 14d medium']);
    expect(h.findings().map((f) => [f.labels.source, f.evidence.slot])).toEqual([
      ['serving', path],
      ['serving', path],
    ]);

    writeFileSync(path, (await makeCert('webhook.chainwatch.svc', T0 + 90 * DAY)).pem); // cert-manager renewed it
    await h.detector.scanServing();
    expect(h.summary().slice(2)).toEqual(['resolved 30d low', 'resolved 14d medium']);
    await h.detector.stop();
  });

  it('is planned with the file the daemon serves (ModuleHost.servingCertificate), unless serving.enabled is false', async () => {
    const host = { dataDir: '/d', instance: 'i', publicUrl: undefined, facts: {} };
    const cfg = createCertExpiryDetector({}, testContext(mkdtempSync(join(tmpdir(), 'cw-plan-')), T0)).config;
    const a = certExpiryModule.components!(cfg, { ...host, servingCertificate: '/tls/a.crt' })[0]!;
    const b = certExpiryModule.components!(cfg, { ...host, servingCertificate: '/tls/b.crt' })[0]!;
    expect(a.fingerprint).not.toBe(b.fingerprint); // a moved serving certificate restarts the detector on reload

    const dir = mkdtempSync(join(tmpdir(), 'cw-serving-off-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tls.crt'), (await makeCert('webhook.chainwatch.svc', T0 + 10 * DAY)).pem);
    const off = await harness({ serving: { enabled: false } }, undefined, { servingCertificate: join(dir, 'tls.crt') });
    expect(off.findings()).toEqual([]);
    await off.detector.stop();
  });
});

describe('cert-expiry: thresholds fire and resolve with a controlled clock', () => {
  it('a code-signing certificate in a file: 30d, then 14d and 7d fire once each; renewal resolves all three; state survives restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-certs-'));
    dirs.push(dir);
    const old = await makeCert('release-signing.example.com', T0 + 40 * DAY);
    writeFileSync(join(dir, 'signing.pem'), old.pem);
    const h = await harness({ files: { paths: [dir] } });
    expect(h.findings()).toEqual([]);

    h.clock.ms = T0 + 11 * DAY; // 29 days left
    await h.detector.evaluate();
    await h.detector.evaluate();
    expect(h.summary()).toEqual(['firing 30d low']);
    expect(h.findings()[0]).toMatchObject({
      rule: RULE_EXPIRING,
      category: 'infrastructure',
      evidence: { source: 'file', slot: join(dir, 'signing.pem'), daysLeft: 29 },
    });

    h.clock.ms = T0 + 34 * DAY; // 6 days left
    await h.detector.evaluate();
    expect(h.summary()).toEqual(['firing 30d low', 'firing 14d medium', 'firing 7d high']);

    // Restart: the inventory and what fired are in SQLite; nothing fires twice.
    await h.detector.stop();
    const again = await harness({ files: { paths: [dir] } }, h.dataDir);
    again.clock.ms = T0 + 34 * DAY;
    await again.detector.evaluate();
    expect(again.findings()).toEqual([]);

    // Renewed: the file now holds a new certificate; every fired threshold of the old one resolves.
    writeFileSync(join(dir, 'signing.pem'), (await makeCert('release-signing.example.com', T0 + 400 * DAY)).pem);
    await again.detector.scanFiles();
    expect(again.summary()).toEqual(['resolved 30d low', 'resolved 14d medium', 'resolved 7d high']);
    expect(again.findings().map((f) => f.dedupKey)).toEqual(h.findings().map((f) => f.dedupKey));
    await again.detector.stop();
  });

  it('node-cron drives the evaluation: with a per-second schedule a crossed threshold fires without a call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-certs-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'c.pem'), (await makeCert('cron.example.com', T0 + 60 * DAY)).pem);
    const h = await harness({ files: { paths: [dir] }, evaluate: { schedule: '* * * * * *' } });
    expect(h.findings()).toEqual([]);
    h.clock.ms = T0 + 45 * DAY;
    await vi.waitFor(() => expect(h.summary()).toEqual(['firing 30d low']), { timeout: 10_000, interval: 100 });
    await h.detector.stop();
  });

  it('a removed file resolves; an unreadable one keeps its certificate (could not look is not removal)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-certs-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'a.der'), (await makeCert('a.example.com', T0 + 5 * DAY)).der);
    const h = await harness({ files: { paths: [dir] } });
    expect(h.summary()).toEqual(['firing 30d low', 'firing 14d medium', 'firing 7d high']);
    writeFileSync(join(dir, 'a.der'), 'half-written');
    await h.detector.scanFiles();
    expect(h.findings()).toHaveLength(3);
    rmSync(join(dir, 'a.der'));
    await h.detector.scanFiles();
    expect(h.summary().slice(3)).toEqual(['resolved 30d low', 'resolved 14d medium', 'resolved 7d high']);
    await h.detector.stop();
  });

  it('a TLS endpoint: the handshake reads the served chain (leaf and intermediate); an endpoint down keeps them', async () => {
    const ca = await makeCert('Test Intermediate', T0 + 20 * DAY);
    const leaf = await makeCert('localhost', T0 + 300 * DAY, { name: ca.name, key: ca.privateKey });
    const server = createServer({ key: leaf.key, cert: `${leaf.pem}\n${ca.pem}\n` }, (s) => s.end());
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const h = await harness({ tls: { endpoints: [{ host: '127.0.0.1', port, servername: 'localhost' }] } });
    // The intermediate (20 days) is within 30d; the leaf (300 days) is not.
    expect(h.summary()).toEqual(['firing 30d low']);
    expect(h.findings()[0]!.evidence).toMatchObject({ source: 'tls', slot: `127.0.0.1:${port}/localhost`, label: 'CN=Test Intermediate [Test Intermediate]' });
    await new Promise((r) => server.close(r));
    await h.detector.scanTls();
    expect(h.findings()).toHaveLength(1);
    await h.detector.stop();
  });

  it('CT sightings: a renewal covering the same names resolves the old certificate', async () => {
    const h = await harness({});
    const sighting = (id: string, notAfter: number) =>
      makeEvent({
        type: CtWatchedCertificateEvent.type,
        source: 'chainwatch://detectors/ct-watch',
        subject: `ct:${id}`,
        data: {
          ctIdentity: id,
          certSha256: id,
          entryType: 'x509',
          log: { url: 'https://ct.example/', logId: 'AAAA' },
          index: 1,
          subject: 'CN=www.example.com',
          issuer: 'CN=CA',
          serialNumber: '01',
          notBefore: new Date(T0 - DAY).toISOString(),
          notAfter: new Date(notAfter).toISOString(),
          dnsNames: ['www.example.com'],
          spkiSha256: 'b'.repeat(64),
          matchedBy: [{ kind: 'dnsName', watch: '.example.com', value: 'www.example.com' }],
        },
      });
    await h.bus.publish(sighting('a'.repeat(64), T0 + 10 * DAY));
    await h.bus.drain();
    await h.detector.flush();
    expect(h.summary()).toEqual(['firing 30d low', 'firing 14d medium']);
    await h.bus.publish(sighting('c'.repeat(64), T0 + 90 * DAY));
    await h.bus.drain();
    await h.detector.flush();
    expect(h.summary().slice(2)).toEqual(['resolved 30d low', 'resolved 14d medium']);
    await h.detector.stop();
  });
});

describe.skipIf(rd.skip)('cert-expiry: the real Sigstore trusted root and TUF root', () => {
  it('reads current CA certificates and key windows; the TUF root expiry fires', async () => {
    const h = await harness({
      trustedRoot: { source: 'file', path: join(rd.dir, 'sigstore/trusted-roots/prod/trusted_root.json') },
      tuf: { paths: [join(rd.dir, 'sigstore/trusted-roots/prod/root.json')] },
    });
    await h.detector.stop();
    const out: string[] = [];
    const code = await runCommand(certsListCommand, ['--json'], {
      io: { out: (l) => out.push(l), err: () => undefined, stdin: process.stdin, env: {} },
      load: () =>
        Promise.resolve({
          section: undefined,
          daemon: { dataDir: h.dataDir, instance: 'test', configFile: undefined },
          openBus: () => Promise.reject(new Error('no bus')),
          keys: new MemoryKeyProvider(),
        }),
      now: () => new Date(T0),
    });
    expect(code).toBe(0);
    const items = (JSON.parse(out[0]!) as { items: { source: string; kind: string; label: string; notAfter: string }[] }).items;
    // The Fulcio intermediate and root of the current CA (2022-04-13..2031-10-05), not the one retired in 2022.
    expect(items.filter((i) => i.source === 'trusted-root' && i.kind === 'certificate').every((i) => i.notAfter >= '2031')).toBe(true);
    expect(items.some((i) => i.source === 'trusted-root' && i.label.includes('sigstore-intermediate'))).toBe(true);
    expect(items.filter((i) => i.source === 'tuf')).toEqual([expect.objectContaining({ kind: 'metadata', notAfter: '2026-11-20T13:58:18.000Z' })]);

    const late = await harness({ tuf: { paths: [join(rd.dir, 'sigstore/trusted-roots/prod/root.json')] } });
    late.clock.ms = Date.parse('2026-11-01T00:00:00Z');
    await late.detector.evaluate();
    expect(late.summary()).toEqual(['firing 30d low']);
    expect(late.findings()[0]!.summary).toMatch(/^TUF metadata root v15 /);
    await late.detector.stop();
  });
});

describe('cert-expiry configuration and certs list', () => {
  const ctx = () => testContext('/x');
  it('refuses a bad cron expression, duplicate thresholds and a file root without a path, with key paths', () => {
    const bad = (cfg: Record<string, unknown>, path: string) =>
      expect(() => createCertExpiryDetector(cfg, ctx()), path).toThrowWithCode(ConfigError, 'CONFIG_INVALID', { issues: [expect.objectContaining({ path })] });
    bad({ files: { schedule: '61 * * * *' } }, 'detectors.certExpiry.files.schedule');
    bad({ evaluate: { schedule: 'hourly' } }, 'detectors.certExpiry.evaluate.schedule');
    bad(
      {
        thresholds: [
          { within: '7d', severity: 'high' },
          { within: '7d', severity: 'low' },
        ],
      },
      'detectors.certExpiry.thresholds',
    );
    bad({ trustedRoot: { source: 'file' } }, 'detectors.certExpiry.trustedRoot.path');
  });

  it('certs list --expiring filters, never creates an inventory, and refuses a bad duration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-certs-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'soon.pem'), (await makeCert('soon.example.com', T0 + 10 * DAY)).pem);
    writeFileSync(join(dir, 'later.pem'), (await makeCert('later.example.com', T0 + 100 * DAY)).pem);
    const h = await harness({ files: { paths: [dir] } });
    await h.detector.stop();
    const run = async (dataDir: string, ...argv: string[]) => {
      const out: string[] = [];
      const code = await runCommand(certsListCommand, argv, {
        io: { out: (l) => out.push(l), err: (l) => out.push(l), stdin: process.stdin, env: {} },
        load: () =>
          Promise.resolve({
            section: undefined,
            daemon: { dataDir, instance: 't', configFile: undefined },
            openBus: () => Promise.reject(new Error('no bus')),
            keys: new MemoryKeyProvider(),
          }),
        now: () => new Date(T0),
      });
      return { code, out };
    };
    const all = await run(h.dataDir, '--json');
    expect((JSON.parse(all.out[0]!) as { items: unknown[] }).items).toHaveLength(2);
    const soon = await run(h.dataDir, '--expiring', '30d', '--json');
    expect((JSON.parse(soon.out[0]!) as { items: { label: string; daysLeft: number }[] }).items).toEqual([
      expect.objectContaining({ label: 'CN=soon.example.com [soon.example.com]', daysLeft: 10 }),
    ]);
    const text = await run(h.dataDir, '--expiring', '30d');
    expect(text.out.join('\n')).toMatch(/soon\.example\.com/);
    const empty = mkdtempSync(join(tmpdir(), 'cw-empty-'));
    dirs.push(empty);
    expect((await run(empty)).out).toEqual([`no inventory yet (${join(empty, 'cert-inventory.sqlite')})`]);
    expect((await run(h.dataDir, '--expiring', 'soon')).code).toBe(2);
  });
});
