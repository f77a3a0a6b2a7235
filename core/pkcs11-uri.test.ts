import { describe, expect, it } from 'vitest';
import { parsePkcs11Uri } from './pkcs11-uri.js';

describe('parsePkcs11Uri (RFC 7512 subset)', () => {
  it('parses token, object, id (percent-encoded bytes), serial and module-path', () => {
    expect(parsePkcs11Uri('pkcs11:token=My%20HSM;object=audit%3Bkey;id=%01%a0;type=private;serial=abc?module-path=/usr/lib/softhsm/libsofthsm2.so')).toEqual({
      token: 'My HSM',
      object: 'audit;key',
      id: Buffer.from([0x01, 0xa0]),
      serial: 'abc',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
    });
    expect(parsePkcs11Uri('pkcs11:token=t;id=%ff')).toEqual({ token: 't', id: Buffer.from([0xff]) });
  });

  it('says what is wrong instead of matching more than asked', () => {
    for (const bad of [
      'token=t;object=a', // no scheme
      'pkcs11:object=a', // no token
      'pkcs11:token=t', // no key
      'pkcs11:token=t;object=a;type=public',
      'pkcs11:token=t;object=a;slot-id=0', // outside the subset: refused, not ignored
      'pkcs11:token=t;token=u;object=a',
      'pkcs11:token=t;object=%zz',
      'pkcs11:token=t;object=a?pin-value=1234',
      'pkcs11:token=t;object=a?pin-source=file:/p',
    ])
      expect(typeof parsePkcs11Uri(bad), bad).toBe('string');
  });
});
