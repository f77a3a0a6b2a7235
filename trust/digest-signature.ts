import { publicDecrypt, constants, timingSafeEqual, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import type { MessageSignature } from '@sigstore/bundle';
import type { SignedEntity } from '@sigstore/verify';

type SignatureContent = SignedEntity['signature'];

/**
 * Signature content for a message signature when only the artifact's SHA-256 is known
 * (`verify-bundle ... sha256:<hex>`). @sigstore/verify verifies over the artifact bytes, and
 * node:crypto always hashes its input, so the prehashed check is done here: ECDSA through
 * @noble/curves with prehash off, RSA PKCS#1 v1.5 by recovering the DigestInfo. Ed25519 signs
 * the message itself, so a digest can never verify it.
 */
export class DigestSignatureContent implements SignatureContent {
  constructor(
    private readonly messageSignature: MessageSignature,
    private readonly digest: Buffer,
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
        return verifyEcdsaPrehashed(key, this.digest, this.signature);
      case 'rsa':
        return verifyRsaPrehashed(key, this.digest, this.signature);
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

// DER prefix of DigestInfo{sha256, OCTET STRING(32)} (RFC 8017 §9.2 note 1).
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

function verifyRsaPrehashed(key: KeyObject, digest: Buffer, signature: Buffer): boolean {
  try {
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return equal(recovered, Buffer.concat([SHA256_DIGEST_INFO, digest]));
  } catch {
    return false;
  }
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
