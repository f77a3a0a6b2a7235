import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toTrustMaterial } from '@sigstore/verify';
import { TlogError } from '../core/tlog/index.js';
import { logKeys } from './log-keys.js';
import { embeddedProductionRoot, withLogKeys } from './trusted-root.js';

/** withLogKeys: a private Rekor's key (PEM, as /api/v1/log/publicKey serves it) added to a trusted root. */
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const URL_ = 'http://127.0.0.1:3000';

describe('withLogKeys', () => {
  it('adds the log (its URL, the SHA-256 of its SPKI as log id) without modifying the base root', () => {
    const base = embeddedProductionRoot();
    const before = base.tlogs.length;
    const key = p256();
    const root = withLogKeys(base, [{ url: URL_, publicKeyPem: key.export({ format: 'pem', type: 'spki' }).toString() }]);
    expect(base.tlogs).toHaveLength(before);
    expect(root.tlogs).toHaveLength(before + 1);
    const added = logKeys(root).find((k) => k.baseUrl === URL_);
    expect(added?.logId.hex).toBe(
      createHash('sha256')
        .update(key.export({ format: 'der', type: 'spki' }))
        .digest('hex'),
    );
    // What @sigstore/verify builds its tlog trust from accepts it.
    expect(toTrustMaterial(root).tlogs.some((t) => t.baseURL === URL_)).toBe(true);
    // No base: a root holding only that log (key-based signatures need no CA).
    const alone = withLogKeys(undefined, [{ url: URL_, publicKeyPem: key.export({ format: 'pem', type: 'spki' }).toString() }]);
    expect([alone.tlogs.length, alone.certificateAuthorities.length, alone.ctlogs.length]).toEqual([1, 0, 0]);
  });

  it('a PEM that is not a public key: TlogError KEY_MALFORMED', () => {
    let err: unknown;
    try {
      withLogKeys(undefined, [{ url: URL_, publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlogError);
    expect((err as TlogError).code).toBe('KEY_MALFORMED');
  });
});
