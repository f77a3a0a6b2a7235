import { createPublicKey, type KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { KeyError, type SignatureAlgorithm } from '../../core/index.js';

/**
 * Byte formats between PKCS#11 and node:crypto:
 * - EC public keys come as CKA_EC_PARAMS (DER: the curve's OID, or for Ed25519 also the printable
 *   string "edwards25519" older tokens use) and CKA_EC_POINT (the point, DER OCTET STRING wrapped
 *   by most tokens, raw by some): rebuilt into a KeyObject through JWK, no hand-written SPKI.
 * - CKM_ECDSA returns IEEE P1363 (r || s, fixed width); the Signer port returns ASN.1 DER.
 */
const CURVES: Record<string, { algorithm: SignatureAlgorithm; jwk: string; size: number }> = {
  '06082a8648ce3d030107': { algorithm: 'ecdsa-p256-sha256', jwk: 'P-256', size: 32 },
  '06052b81040022': { algorithm: 'ecdsa-p384-sha384', jwk: 'P-384', size: 48 },
  '06032b6570': { algorithm: 'ed25519', jwk: 'Ed25519', size: 32 },
  '130c656477617264733235353139': { algorithm: 'ed25519', jwk: 'Ed25519', size: 32 }, // PrintableString "edwards25519"
};

export function ecPublicKey(params: Buffer, point: Buffer): { algorithm: SignatureAlgorithm; publicKey: KeyObject } {
  const curve = CURVES[params.toString('hex')];
  if (!curve) throw new KeyError('KEY_UNSUPPORTED', `unsupported curve (CKA_EC_PARAMS ${params.toString('hex')}): expected P-256, P-384 or Ed25519`);
  const ed = curve.algorithm === 'ed25519';
  const rawLength = ed ? curve.size : 1 + 2 * curve.size; // uncompressed: 0x04 || X || Y
  // DER OCTET STRING (tag 0x04, one length byte: every supported point is < 128 bytes) or raw.
  const raw = point.length === rawLength + 2 && point[0] === 0x04 && point[1] === rawLength ? point.subarray(2) : point;
  if (raw.length !== rawLength || (!ed && raw[0] !== 0x04)) throw new KeyError('KEY_UNSUPPORTED', 'the token returned an EC point in an unsupported form');
  const b64 = (b: Buffer): string => b.toString('base64url');
  const jwk = ed
    ? { kty: 'OKP', crv: curve.jwk, x: b64(raw) }
    : { kty: 'EC', crv: curve.jwk, x: b64(raw.subarray(1, 1 + curve.size)), y: b64(raw.subarray(1 + curve.size)) };
  try {
    return { algorithm: curve.algorithm, publicKey: createPublicKey({ key: jwk, format: 'jwk' }) };
  } catch (err) {
    throw new KeyError('KEY_UNSUPPORTED', 'the token returned a public key node:crypto cannot use', { cause: err });
  }
}

/**
 * IEEE P1363 (r || s) to DER SEQUENCE { INTEGER r, INTEGER s }, through @noble/curves (what
 * trust/ verifies prehashed ECDSA with): the width names the curve, and r and s must be in range.
 */
const BY_WIDTH: Record<number, typeof p256> = { 64: p256, 96: p384 };

export function p1363ToDer(sig: Buffer): Buffer {
  const curve = BY_WIDTH[sig.length];
  if (!curve) throw new KeyError('KEY_SIGN_FAILED', `the token returned a ${sig.length}-byte ECDSA signature`);
  try {
    return Buffer.from(curve.Signature.fromBytes(sig, 'compact').toBytes('der'));
  } catch (err) {
    throw new KeyError('KEY_SIGN_FAILED', 'the token returned an ECDSA signature out of range', { cause: err });
  }
}
