/** `chainwatch inspect cert` as users run it: the real CLI process over the shared real certificates. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realdata } from '../core/testing/index.js';
import { built, runCli } from './helpers/daemon-process.js';

const rd = realdata();
const file = (f: string): string => join(rd.dir, f);

describe.skipIf(!built() || rd.skip)('chainwatch inspect cert', () => {
  it('prints the fields of a PEM certificate (exit 0)', async () => {
    const r = await runCli(['inspect', 'cert', file('x509/fulcio/python-3.12.5-release.pem')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}e-mail +thomas@python\.org$/m);
    expect(r.stdout).toMatch(/^ {2}extended key usage +codeSigning$/m);
    expect(r.stdout).toMatch(/^ {2}not after +2024-08-06T20:42:47\.000Z$/m);
    expect(r.stdout).toMatch(/^ {2}SCT +log \S+ at 2024-08-06T/m);
  });

  it('--json on a chain read from stdin as DER', async () => {
    const pem = readFileSync(file('x509/fulcio/sigstore-js-bundleV01-full-cert-chain.chain.pem'), 'utf8');
    const der = Buffer.concat([...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END/g)].map((m) => Buffer.from(m[1]!.replace(/\s/g, ''), 'base64')));
    const r = await runCli(['inspect', 'cert', '-', '--json'], der);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { certificates: { ca: boolean; selfIssued: boolean; sans: { email: string[] }; der?: unknown }[] };
    expect(out.certificates.map((c) => c.ca)).toEqual([false, true, true]);
    expect(out.certificates[0]!.sans.email).toEqual(['brian@dehamer.com']);
    expect(out.certificates[0]!.der).toBeUndefined();
  });

  it('a malformed certificate exits 1 with its code; a missing file too; no stack traces', async () => {
    const bad = await runCli(['inspect', 'cert', file('x509/malformed/xf-ext-extended-key-usage-empty.pem')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^chainwatch inspect cert: X509_EXTENSION_INVALID: extensions\.2\.5\.29\.37: /);
    const garbage = await runCli(['inspect', 'cert', '-'], Buffer.from([0x30, 0x82, 0xff, 0xff, 1, 2, 3]));
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain('X509_DER_INVALID');
    const missing = await runCli(['inspect', 'cert', '/nonexistent/cert.pem']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('INPUT_UNREADABLE');
    for (const r of [bad, garbage, missing]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('no argument is a usage error (exit 2)', async () => {
    const r = await runCli(['inspect', 'cert']);
    expect(r.code).toBe(2);
  });
});
