import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A throwaway self-signed serving certificate for 127.0.0.1 (ECDSA P-256, openssl), for a daemon's
 * HTTPS listener under test or bench: the certificate is its own CA (a webhook's caBundle).
 * Returns the file paths (`<name>.crt`, `<name>.key` in `dir`; name defaults to tls).
 */
export function selfSignedServingCert(dir: string, name = 'tls'): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
