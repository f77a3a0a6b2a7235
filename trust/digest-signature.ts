import { publicDecrypt, constants, timingSafeEqual, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import type { MessageSignature } from '@sigstore/bundle';
import type { SignedEntity } from '@sigstore/verify';
import type { Digest, DigestAlgorithm } from './digest.js';
import { verifyRsaPssPrehashed } from './rsa-pss.js';

type SignatureContent = SignedEntity['signature'];

/**
 * Signature content for a message signature when only the artifact's digest is known
 * (`verify-bundle ... sha384:<hex>`; the algorithm is the bundle's). @sigstore/verify verifies
 * over the artifact bytes, and node:crypto always hashes its input, so the prehashed check is done
 * here: ECDSA through @noble/curves with prehash off, RSA PKCS#1 v1.5 by recovering the
 * DigestInfo, RSASSA-PSS keys by EMSA-PSS-VERIFY (./rsa-pss.ts). Ed25519 signs the message
 * itself, so a digest can never verify it.
 */
export class DigestSignatureContent implements SignatureContent {
  constructor(
    private readonly messageSignature: MessageSignature,
    private readonly digest: Digest,
  ) {}

  get signature(): Buffer {
    return this.messageSignature.signature;
  }

  compareSignature(signature: Buffer): boolean {
    return equal(signature, this.signature);
  }

  compareDigest(digest: Buffer): boolean {
    return equal(digest, this.messageSignature.messageDigest?.digest ?? Buffer.alloc(0));
  }

  compareSignedDigest(digest: Buffer): boolean {
    return this.compareDigest(digest);
  }

  verifySignature(key: KeyObject): boolean {
    switch (key.asymmetricKeyType) {
      case 'ec':
        return verifyEcdsaPrehashed(key, this.digest.value, this.signature);
      case 'rsa':
        return verifyRsaPrehashed(key, this.digest, this.signature);
      case 'rsa-pss':
        return verifyRsaPssPrehashed(key, this.digest, this.signature);
      default:
        return false;
    }
  }
}

const CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521 } as const;

function verifyEcdsaPrehashed(key: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const curve = CURVES[key.asymmetricKeyDetails?.namedCurve as keyof typeof CURVES];
  if (!curve) return false;
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) return false;
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  try {
    // lowS off: Go and OpenSSL signers do not normalise s, and Sigstore accepts both halves.
    return curve.verify(signature, digest, point, { prehash: false, format: 'der', lowS: false });
  } catch {
    return false;
  }
}

// DER prefixes of DigestInfo{algorithm, OCTET STRING(digest)} (RFC 8017 §9.2 note 1; SHA-3 OIDs
// 2.16.840.1.101.3.4.2.8/9 from NIST CSOR).
const DIGEST_INFO: Record<DigestAlgorithm, Buffer> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
  'sha3-256': Buffer.from('3031300d060960864801650304020805000420', 'hex'),
  'sha3-384': Buffer.from('3041300d060960864801650304020905000430', 'hex'),
};

function verifyRsaPrehashed(key: KeyObject, digest: Digest, signature: Buffer): boolean {
  try {
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return equal(recovered, Buffer.concat([DIGEST_INFO[digest.algorithm], digest.value]));
  } catch {
    return false;
  }
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
