/**
 * Serving-certificate rotation on a real daemon process (docs/kubernetes.md): replacing the
 * certificate and key files of the HTTPS listener (a rename, as cert-manager's tools do, and a
 * symlink swap, as the kubelet updates a mounted Secret) serves the new certificate on the next
 * TLS connection, without a restart or a signal; an unusable replacement (a key that does not
 * match) is refused with a log line and a metric while the previous certificate stays served.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, expect, it, vi } from 'vitest';
import { built, httpStatus, metricValue, startDaemon } from '../helpers/daemon-process.js';
import { selfSignedServingCert } from '../helpers/serving-cert.js';

/** The fingerprint of the certificate a fresh handshake presents (read, not trusted). */
const served = (port: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });

/** Self-signed serving pairs made here with openssl (no key material is checked in). */
function pairs(dir: string, names: string[]): Record<string, { cert: string; key: string; fingerprint: string }> {
  const out: Record<string, { cert: string; key: string; fingerprint: string }> = {};
  for (const n of names) {
    const files = selfSignedServingCert(dir, n);
    const cert = readFileSync(files.cert, 'utf8');
    out[n] = { cert, key: readFileSync(files.key, 'utf8'), fingerprint: new X509Certificate(cert).fingerprint256 };
  }
  return out;
}

describe.skipIf(!built())('serving-certificate rotation without a restart', () => {
  it('serves replaced certificate files on the next connection and keeps the old pair when the new one is unusable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-tls-rotate-'));
    const pki = pairs(dir, ['first', 'second', 'third', 'fourth']);
    // The kubelet's layout for a mounted Secret: tls.crt -> ..data/tls.crt, ..data -> a versioned directory.
    const mount = join(dir, 'mount');
    const version = (name: string, pair: { cert: string; key: string }) => {
      mkdirSync(join(mount, name), { recursive: true });
      writeFileSync(join(mount, name, 'tls.crt'), pair.cert);
      writeFileSync(join(mount, name, 'tls.key'), pair.key);
      symlinkSync(name, join(mount, '..data_tmp'));
      renameSync(join(mount, '..data_tmp'), join(mount, '..data')); // atomic swap of both files at once
    };
    version('v1', pki.first!);
    symlinkSync('..data/tls.crt', join(mount, 'tls.crt'));
    symlinkSync('..data/tls.key', join(mount, 'tls.key'));
    const file = join(dir, 'chainwatch.yaml');
    writeFileSync(
      file,
      `dataDir: ${JSON.stringify(join(dir, 'data'))}\nhttp:\n  tls:\n    port: 0\n    cert: ${JSON.stringify(join(mount, 'tls.crt'))}\n    key: ${JSON.stringify(join(mount, 'tls.key'))}\n`,
    );
    const d = await startDaemon(['--config', file]);
    try {
      const tlsPort = Number(/and https:\/\/[^:]+:(\d+)/.exec(d.stderr())![1]);
      expect(await served(tlsPort)).toBe(pki.first!.fingerprint);

      // The kubelet's swap: both files change at once.
      version('v2', pki.second!);
      await vi.waitFor(async () => expect(await served(tlsPort)).toBe(pki.second!.fingerprint), { timeout: 15_000, interval: 200 });

      // An unusable pair (the third certificate with the fourth's key): refused, the second stays served.
      version('v3', { cert: pki.third!.cert, key: pki.fourth!.key });
      await vi.waitFor(async () => expect(await metricValue(d.url, 'chainwatch_tls_reloads_total', { outcome: 'refused' })).toBeGreaterThanOrEqual(1), {
        timeout: 15_000,
        interval: 200,
      });
      expect(d.stdout()).toContain('"code":"TLS_MATERIAL_INVALID"');
      expect(await served(tlsPort)).toBe(pki.second!.fingerprint);

      // A plain rename of each file (no symlinks): the fourth pair, once both files are in place.
      writeFileSync(join(dir, 'next.crt'), pki.fourth!.cert);
      writeFileSync(join(dir, 'next.key'), pki.fourth!.key);
      renameSync(join(dir, 'next.key'), join(mount, 'tls.key'));
      renameSync(join(dir, 'next.crt'), join(mount, 'tls.crt'));
      await vi.waitFor(async () => expect(await served(tlsPort)).toBe(pki.fourth!.fingerprint), { timeout: 15_000, interval: 200 });

      // One process throughout: no restart, no signal, still healthy.
      expect(d.child.exitCode).toBeNull();
      expect(await httpStatus(`${d.url}/healthz`)).toBe(200);
      expect(await metricValue(d.url, 'chainwatch_tls_reloads_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
    }
  });
});
