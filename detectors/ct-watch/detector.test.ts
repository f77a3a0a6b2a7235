import { createHash, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata'; // before @peculiar/x509 (tsyringe needs it)
import * as px from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { type CloudEvent, ConfigError, CtEntryEvent, type CtWatchedCertificate, type Finding, makeEvent, topicFor } from '../../core/index.js';
import { realdata, testContext } from '../../core/testing/index.js';
import { createCtWatchDetector, RULE_MALFORMED, RULE_UNEXPECTED } from './index.js';

/**
 * ct-watch end to end through the in-memory bus: dev.chainwatch.ct.entry.v1 events built from
 * REAL certificates (entries of a real CT log, the CT test precertificate and its final
 * certificate, the malformed certificates) and from certificates made here by a test CA
 * (@peculiar/x509 over node's WebCrypto, see testCa()), in; findings and sightings out.
 */
const rd = realdata();
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const pemDer = (f: string): Buffer => Buffer.from(readFileSync(join(rd.dir, f), 'utf8').split('-----')[2]!.replace(/\s/g, ''), 'base64');

const LOG_A: { logId: string; url: string; api: 'rfc6962' | 'static'; description: string } = {
  logId: Buffer.alloc(32, 1).toString('base64'),
  url: 'https://ct.a.example/',
  api: 'rfc6962',
  description: 'Log A',
};
const LOG_B = { logId: Buffer.alloc(32, 2).toString('base64'), url: 'https://ct.b.example/', api: 'static' as const, description: 'Log B' };

let seq = 0;
function entry(der: Buffer, opts: { log?: typeof LOG_A; index?: number; precert?: boolean; chain?: Buffer[] } = {}): CloudEvent {
  const index = opts.index ?? seq++;
  const certSha256 = sha256(der);
  return makeEvent({
    type: CtEntryEvent.type,
    source: 'chainwatch://collectors/ct',
    subject: `sha256:${certSha256}`,
    data: {
      log: opts.log ?? LOG_A,
      index,
      // The detector carries the leaf hash as evidence and never recomputes it.
      leafHash: sha256(Buffer.from(`leaf ${index}`)),
      timestamp: '2026-01-01T00:00:00.000Z',
      entryType: opts.precert ? 'precert' : 'x509',
      certDer: der.toString('base64'),
      certSha256,
      chainDer: (opts.chain ?? []).map((c) => c.toString('base64')),
      verification: { audited: true, treeHead: { size: index + 1, rootHash: Buffer.alloc(32).toString('base64') } },
    },
  });
}

async function harness(config: Record<string, unknown>) {
  const ctx = testContext('/nonexistent', Date.parse('2026-01-02T00:00:00Z'));
  const bus = ctx.bus;
  const detector = createCtWatchDetector(config, ctx);
  await detector.start();
  const feed = async (...evs: CloudEvent[]) => {
    for (const e of evs) await bus.publish(e);
    await bus.drain();
  };
  return {
    detector,
    feed,
    findings: () => bus.events(topicFor('findings')).map((e) => e.data as Finding),
    sightings: () =>
      bus
        .events(topicFor('ct'))
        .filter((e) => e.type === 'dev.chainwatch.ct.watched_certificate.v1')
        .map((e) => e.data as CtWatchedCertificate),
    dead: () => bus.events(`${topicFor('ct')}.dlq`),
  };
}

/** A test CA and leaf certificates with the names a test needs (generated per run; nothing stored). */
async function testCa() {
  px.cryptoProvider.set(webcrypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const caName = 'CN=Chainwatch Test CA, O=Chainwatch Test';
  let serial = 1;
  const leaf = async (names: string[], o = 'Example Inc') => {
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const c = await px.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(2, '0'),
      subject: `CN=${names[0]}, O=${o}`,
      issuer: caName,
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2026-04-01T00:00:00Z'),
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: alg,
      extensions: [new px.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value })))],
    });
    return { der: Buffer.from(c.rawData), spki: sha256(Buffer.from(c.publicKey.rawData)) };
  };
  const caCert = await px.X509CertificateGenerator.createSelfSigned({
    serialNumber: '7f',
    name: caName,
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2030-01-01T00:00:00Z'),
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [new px.BasicConstraintsExtension(true, undefined, true)],
  });
  return { leaf, caDer: Buffer.from(caCert.rawData), caSpki: sha256(Buffer.from(caCert.publicKey.rawData)) };
}

describe.skipIf(rd.skip)('ct-watch on real CT entries and certificates', () => {
  it('a real log entry for a watched subtree is one finding with full evidence; the rest are skipped unparsed', async () => {
    const { entries } = JSON.parse(readFileSync(join(rd.dir, 'ct/api/scanner-get-entries-4.json'), 'utf8')) as { entries: { leaf_input: string }[] };
    const ders = entries.map((e) => {
      const leaf = Buffer.from(e.leaf_input, 'base64'); // MerkleTreeLeaf, x509_entry: the certificate follows a 3-byte length at 12
      return leaf.subarray(15, 15 + leaf.readUIntBE(12, 3));
    });
    const h = await harness({ watch: { dnsNames: ['.google.com'] } });
    const evs = ders.map((d, i) => entry(d, { index: 100 + i }));
    await h.feed(...evs);
    const [f, ...rest] = h.findings();
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      rule: RULE_UNEXPECTED,
      detector: 'ct-watch',
      severity: 'high',
      category: 'security',
      status: 'firing',
      subject: `sha256:${sha256(ders[0]!)}`,
      causedBy: [evs[0]!.id],
      evidence: {
        matchedBy: [{ kind: 'dnsName', watch: '.google.com', value: 'mail.google.com' }],
        log: { url: LOG_A.url, index: 100, leafHash: sha256(Buffer.from('leaf 100')), entryType: 'x509' },
        sans: { dns: ['mail.google.com'] },
        issuer: 'C=US, O=Google Inc, CN=Google Internet Authority',
        certSha256: sha256(ders[0]!),
      },
      links: [{ title: 'certificate search (crt.sh)', url: `https://crt.sh/?q=${sha256(ders[0]!)}` }],
    });
    expect(f!.evidence).toHaveProperty('notAfter');
    expect(h.sightings()).toHaveLength(1);
    expect(h.dead()).toEqual([]);
  });

  it('the precertificate and its final certificate, in two logs, are one finding', async () => {
    const h = await harness({ watch: { organizations: ['certificate transparency'] } });
    const pre = pemDer('ct/ct-go-testdata/test-precert.pem');
    const fin = pemDer('ct/ct-go-testdata/test-embedded-cert.pem');
    await h.feed(entry(pre, { precert: true }), entry(pre, { log: LOG_B, precert: true }), entry(fin), entry(fin, { log: LOG_B }));
    const f = h.findings();
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      rule: RULE_UNEXPECTED,
      evidence: { precertificate: true, matchedBy: [{ kind: 'organization', value: 'Certificate Transparency' }] },
    });
    expect(h.sightings().map((s) => s.entryType)).toEqual(['precert']);
  });

  it('redelivery after a crash before the state write repeats the same finding id', async () => {
    const pre = pemDer('ct/ct-go-testdata/test-precert.pem');
    const fin = pemDer('ct/ct-go-testdata/test-embedded-cert.pem');
    const a = await harness({ watch: { organizations: ['Certificate Transparency'] } });
    const b = await harness({ watch: { organizations: ['Certificate Transparency'] } }); // fresh state: as if the put was lost
    await a.feed(entry(pre, { precert: true }));
    await b.feed(entry(fin, { log: LOG_B }));
    expect(a.findings()[0]!.findingId).toBe(b.findings()[0]!.findingId);
    expect(a.findings()[0]!.dedupKey).toBe(b.findings()[0]!.dedupKey);
  });

  it('a malformed certificate carrying a watched name is a malformed-certificate finding with its raw bytes', async () => {
    const der = pemDer('x509/malformed/xf-ext-extended-key-usage-empty.pem'); // CN=*.google.com, EKU extension empty
    const h = await harness({ watch: { dnsNames: ['mail.google.com'] } });
    const ev = entry(der);
    await h.feed(ev, entry(pemDer('x509/malformed/xf-pubkey-rsa-param-nonnull.pem'), { log: LOG_B }));
    const [f, ...rest] = h.findings();
    expect(rest.map((r) => r.rule)).toEqual([RULE_MALFORMED]); // the second file names *.google.com too, its own certificate
    expect(f).toMatchObject({
      rule: RULE_MALFORMED,
      severity: 'high',
      evidence: { watchedBytesFound: ['mail.google.com'], error: { code: 'X509_EXTENSION_INVALID' }, certSha256: sha256(der), derLength: der.length },
    });
    expect(Buffer.from((f!.evidence as { derBase64: string }).derBase64, 'base64').equals(der)).toBe(true);
    // Not watched, malformed: quiet.
    const quiet = await harness({ watch: { dnsNames: ['example.org'] } });
    await quiet.feed(entry(der));
    expect(quiet.findings()).toEqual([]);
    // Expected by hash: quiet.
    const allowed = await harness({ watch: { dnsNames: ['mail.google.com'] }, allow: [{ name: 'known', certSha256: sha256(der) }] });
    await allowed.feed(entry(der));
    expect(allowed.findings()).toEqual([]);
  });
});

describe('ct-watch on certificates from a test CA', () => {
  it('wildcards both ways, subtrees and IDNs in both forms', async () => {
    const ca = await testCa();
    const certs = {
      a: await ca.leaf(['a.example.com']),
      wild: await ca.leaf(['*.example.com']),
      deep: await ca.leaf(['a.b.example.com']),
      apex: await ca.leaf(['example.com']),
      idn: await ca.leaf(['xn--bcher-kva.example']),
    };
    const cases: [string, (keyof typeof certs)[]][] = [
      ['a.example.com', ['a', 'wild']],
      ['*.example.com', ['a', 'wild']],
      ['.example.com', ['a', 'wild', 'deep', 'apex']],
      ['example.com', ['apex']],
      ['b.example.com', ['wild']],
      ['x.b.example.com', []],
      ['bücher.example', ['idn']],
      ['XN--BCHER-KVA.example.', ['idn']],
    ];
    for (const [watch, want] of cases) {
      const h = await harness({ watch: { dnsNames: [watch] } });
      await h.feed(...Object.values(certs).map((c) => entry(c.der)));
      const hit = h.findings().map((f) => (Object.entries(certs).find(([, c]) => `sha256:${sha256(c.der)}` === f.subject) ?? ['?'])[0]);
      expect(hit.sort(), watch).toEqual([...want].sort());
    }
  });

  it('the allowlist stays quiet (SPKI, certificate hash, issuer + names) but still records the sighting', async () => {
    const ca = await testCa();
    const mine = await ca.leaf(['www.example.com', 'example.com']);
    const extra = await ca.leaf(['www.example.com', 'evil.example.com']);
    const other = await ca.leaf(['api.example.com']);
    const h = await harness({
      watch: { dnsNames: ['.example.com'] },
      allow: [
        { name: 'web by key', spkiSha256: `sha256:${mine.spki}` },
        { name: 'api cert', certSha256: sha256(other.der).toUpperCase() },
        { name: 'our CA for www', issuer: 'chainwatch test ca', names: ['www.example.com', 'example.com'] },
      ],
    });
    await h.feed(entry(mine.der), entry(other.der), entry(extra.der));
    expect(h.findings().map((f) => f.subject)).toEqual([`sha256:${sha256(extra.der)}`]);
    expect(h.sightings().map((s) => s.allowedBy)).toEqual(['web by key', 'api cert', undefined]);
  });

  it('organisation and issuing-CA watches', async () => {
    const ca = await testCa();
    const c = await ca.leaf(['shop.example.net'], 'Example Payments Ltd');
    const byOrg = await harness({ watch: { organizations: ['example  payments ltd'] } });
    await byOrg.feed(entry(c.der));
    expect(byOrg.findings()[0]!.evidence).toMatchObject({ matchedBy: [{ kind: 'organization', value: 'Example Payments Ltd' }] });
    const byCa = await harness({ watch: { issuers: ['Chainwatch Test CA'] } });
    await byCa.feed(entry(c.der));
    expect(byCa.findings()[0]!.evidence).toMatchObject({ matchedBy: [{ kind: 'issuer', value: 'Chainwatch Test CA' }] });
    // By the issuing CA's key, read from the logged chain: this CA's certificate matches, another CA's does not.
    const other = await testCa();
    const o = await other.leaf(['shop.example.net']);
    const byKey = await harness({ watch: { issuerKeys: [ca.caSpki] } });
    await byKey.feed(entry(c.der, { chain: [ca.caDer] }), entry(o.der, { chain: [other.caDer] }), entry(o.der, { chain: [] }));
    expect(byKey.findings().map((f) => f.evidence)).toEqual([
      expect.objectContaining({ matchedBy: [{ kind: 'issuerKey', watch: ca.caSpki, value: ca.caSpki }] }),
    ]);
  });

  it('an issuer certificate that does not parse matches no issuer key; the name watches still apply and nothing is dead-lettered', async () => {
    const ca = await testCa();
    const c = await ca.leaf(['shop.example.net']);
    const trailing = Buffer.concat([ca.caDer, Buffer.from([0])]); // a whole certificate and one byte more: refused
    const truncated = ca.caDer.subarray(0, 40);
    const h = await harness({ watch: { issuerKeys: [ca.caSpki], dnsNames: ['shop.example.net'] } });
    await h.feed(entry(c.der, { chain: [truncated] }), entry(c.der, { chain: [trailing] }));
    expect(h.dead()).toEqual([]);
    expect(h.findings().map((f) => f.evidence.matchedBy)).toEqual([[{ kind: 'dnsName', watch: 'shop.example.net', value: 'shop.example.net' }]]);
  });
});

describe('ct-watch configuration', () => {
  const ctx = () => testContext('/x');
  it('refuses bad patterns, hashes and allow entries with their key paths', () => {
    const bad = (cfg: Record<string, unknown>, path: string) =>
      expect(() => createCtWatchDetector(cfg, ctx()), path).toThrowWithCode(ConfigError, 'CONFIG_INVALID', { issues: [expect.objectContaining({ path })] });
    bad({ watch: { dnsNames: ['ok.example', 'exa mple.com'] } }, 'detectors.ctWatch.watch.dnsNames.1');
    bad({ watch: { dnsNames: ['*'] } }, 'detectors.ctWatch.watch.dnsNames.0');
    bad({ watch: { issuerKeys: ['abc'] } }, 'detectors.ctWatch.watch.issuerKeys.0');
    bad({ watch: { dnsNames: ['a.example'] }, allow: [{ name: 'x' }] }, 'detectors.ctWatch.allow.0');
    bad({ watch: { dnsNames: ['a.example'] }, allow: [{ name: 'x', issuer: 'CA' }] }, 'detectors.ctWatch.allow.0.names');
    bad({ watch: { dnsNames: ['a.example'] }, searchUrl: 'https://crt.sh/' }, 'detectors.ctWatch.searchUrl');
    bad({}, 'detectors.ctWatch.watch');
  });
});
