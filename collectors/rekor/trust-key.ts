import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { isKeyValidAt, logKeys } from '../../trust/log-keys.js';
import { RekorError } from './errors.js';

/**
 * The log key for `url` from a Sigstore trusted root (trust/ logKeys), as the PEM that
 * rekorCollectorConfigSchema.publicKey takes. Matches on host (+ path prefix for tile logs), and
 * picks the key valid at `at` (the newest one when several are). Throws REKOR_KEY_INVALID.
 */
export function publicKeyFromTrustedRoot(root: TrustedRoot, url: string, at: Date = new Date()): string {
  const want = new URL(url);
  const candidates = logKeys(root).filter((k) => {
    try {
      const u = new URL(k.baseUrl);
      return u.host === want.host && want.pathname.replace(/\/+$/, '').startsWith(u.pathname.replace(/\/+$/, ''));
    } catch {
      return false;
    }
  });
  const valid = candidates.filter((k) => k.publicKeyPem && isKeyValidAt(k, at));
  valid.sort((a, b) => (b.validFor.start?.getTime() ?? 0) - (a.validFor.start?.getTime() ?? 0));
  const pem = valid[0]?.publicKeyPem;
  if (!pem) throw new RekorError('REKOR_KEY_INVALID', `the trusted root has no usable key for ${want.host}`);
  return pem;
}
