import { createHash, type KeyObject } from 'node:crypto';
import { HashAlgorithm } from '@sigstore/protobuf-specs';

/**
 * The digest algorithms a Sigstore bundle can name (HashAlgorithm in protobuf-specs), under the
 * names node:crypto, in-toto digest sets and `verify-bundle <alg>:<hex>` arguments use.
 */
export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512' | 'sha3-256' | 'sha3-384';

export interface Digest {
  algorithm: DigestAlgorithm;
  value: Buffer;
}

const BYTES: Record<DigestAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64, 'sha3-256': 32, 'sha3-384': 48 };
export const DIGEST_ALGORITHMS = Object.keys(BYTES) as DigestAlgorithm[];

const isAlgorithm = (name: string): name is DigestAlgorithm => Object.hasOwn(BYTES, name);

export const hashWith = (algorithm: DigestAlgorithm, data: Uint8Array): Digest => ({ algorithm, value: createHash(algorithm).update(data).digest() });

/**
 * Parses `<algorithm>:<hex>`. Returns why it is not a usable digest otherwise, so that callers can
 * say "malformed digest" (naming it) rather than treat it as something else.
 */
export function parseDigest(text: string): Digest | { invalid: string } {
  const colon = text.indexOf(':');
  const name = text.slice(0, colon).toLowerCase();
  const hex = text.slice(colon + 1);
  if (colon < 0 || !isAlgorithm(name)) return { invalid: `unsupported digest algorithm (use ${DIGEST_ALGORITHMS.join(', ')})` };
  const want = BYTES[name] * 2;
  if (hex.length !== want || !/^[0-9a-fA-F]+$/.test(hex)) return { invalid: `expected ${name}:<${want} hex digits>` };
  return { algorithm: name, value: Buffer.from(hex, 'hex') };
}

/** Looks like `<algorithm>:...` for an algorithm name we would recognise, or a common other one. */
export const looksLikeDigest = (text: string): boolean => /^(sha[0-9]*|sha3-[0-9]+|md5|blake2b|sha512_256):/i.test(text);

/** The bundle's message digest algorithm; undefined when it names none (the key decides). */
export function bundleDigestAlgorithm(algorithm: HashAlgorithm): DigestAlgorithm | undefined {
  switch (algorithm) {
    case HashAlgorithm.SHA2_256:
      return 'sha256';
    case HashAlgorithm.SHA2_384:
      return 'sha384';
    case HashAlgorithm.SHA2_512:
      return 'sha512';
    case HashAlgorithm.SHA3_256:
      return 'sha3-256';
    case HashAlgorithm.SHA3_384:
      return 'sha3-384';
    case HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED:
      return undefined;
  }
}

export function toHashAlgorithm(algorithm: DigestAlgorithm): HashAlgorithm {
  switch (algorithm) {
    case 'sha256':
      return HashAlgorithm.SHA2_256;
    case 'sha384':
      return HashAlgorithm.SHA2_384;
    case 'sha512':
      return HashAlgorithm.SHA2_512;
    case 'sha3-256':
      return HashAlgorithm.SHA3_256;
    case 'sha3-384':
      return HashAlgorithm.SHA3_384;
  }
}

/**
 * What a key signs with when the bundle names no algorithm: Sigstore's algorithm registry pairs
 * P-384 with SHA-384 and P-521 with SHA-512; everything else (P-256, RSA) uses SHA-256.
 */
export function keyDigestAlgorithm(key: KeyObject): DigestAlgorithm {
  if (key.asymmetricKeyType !== 'ec') return 'sha256';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
}
