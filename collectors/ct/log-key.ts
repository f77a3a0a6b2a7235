import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { CtError } from './errors.js';
import { sha256Digest } from '../../core/tlog/index.js';
import { TlsReader } from './tls.js';

/**
 * A CT log's public key: what verifies its signed tree heads (RFC 6962 §3.5 allows ECDSA NIST
 * P-256 and RSA, both over SHA-256) and whose SubjectPublicKeyInfo hash is the log ID.
 */
export interface CtLogKey {
  readonly key: KeyObject;
  readonly spki: Buffer;
  /** SHA-256 of the DER SPKI: RFC 6962 LogID. */
  readonly logId: Buffer;
  readonly algorithm: 'ecdsa-p256' | 'rsa';
}

const MIN_RSA_BITS = 2048;

/**
 * Loads a log key from base64 DER (as in the log list v3 `key`), DER bytes, or a PEM "PUBLIC KEY".
 * Refuses anything else at load, with a precise code: CT_KEY_MALFORMED (not an SPKI at all: garbage,
 * a PKCS#1 "RSA PUBLIC KEY", a certificate), CT_KEY_UNSUPPORTED (an SPKI CT logs cannot sign with).
 */
export function loadLogKey(input: string | Uint8Array): CtLogKey {
  let der: Buffer;
  if (typeof input === 'string') {
    const text = input.trim();
    if (text.startsWith('-----')) {
      const m = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PUBLIC KEY-----$/.exec(text);
      if (!m) throw new CtError('CT_KEY_MALFORMED', 'PEM is not a "PUBLIC KEY" (SubjectPublicKeyInfo) block');
      der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    } else {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new CtError('CT_KEY_MALFORMED', 'log key is neither PEM nor base64 DER');
      der = Buffer.from(text, 'base64');
    }
  } else der = Buffer.from(input);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (err) {
    throw new CtError('CT_KEY_MALFORMED', 'log key is not a DER SubjectPublicKeyInfo', err);
  }
  // Re-encoding must give the same bytes: the log ID is a hash of exactly these.
  const spki = key.export({ format: 'der', type: 'spki' });
  if (!spki.equals(der)) throw new CtError('CT_KEY_MALFORMED', 'log key has trailing or non-canonical bytes');
  const details = key.asymmetricKeyDetails ?? {};
  let algorithm: CtLogKey['algorithm'];
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve !== 'prime256v1') throw new CtError('CT_KEY_UNSUPPORTED', `ECDSA curve ${details.namedCurve ?? '?'} is not P-256`);
    algorithm = 'ecdsa-p256';
  } else if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS)
      throw new CtError('CT_KEY_UNSUPPORTED', `RSA key of ${details.modulusLength ?? 0} bits is below ${MIN_RSA_BITS}`);
    algorithm = 'rsa';
  } else throw new CtError('CT_KEY_UNSUPPORTED', `key type ${key.asymmetricKeyType ?? '?'} is not one CT logs sign with`);
  return { key, spki, logId: sha256Digest(spki), algorithm };
}

/**
 * RFC 5246 DigitallySigned over `message`: hash sha256 (4); signature ecdsa (3) or rsa (1) matching
 * the key. 'malformed' when the structure or its algorithms are wrong, 'invalid' when it is a
 * proper signature the key did not make.
 */
export function checkDigitallySigned(key: CtLogKey, message: Buffer, digitallySigned: Buffer): 'ok' | 'malformed' | 'invalid' {
  let hashAlg: number, sigAlg: number, sig: Buffer;
  try {
    const r = new TlsReader(digitallySigned, 'CT_RESPONSE_MALFORMED', 'DigitallySigned');
    hashAlg = r.uint(1);
    sigAlg = r.uint(1);
    sig = r.vector(2);
    r.end();
  } catch {
    return 'malformed';
  }
  if (hashAlg !== 4 || sigAlg !== (key.algorithm === 'rsa' ? 1 : 3)) return 'malformed';
  try {
    return cryptoVerify('sha256', message, key.key, sig) ? 'ok' : 'invalid';
  } catch {
    return 'malformed';
  }
}

export const verifyDigitallySigned = (key: CtLogKey, message: Buffer, ds: Buffer): boolean => checkDigitallySigned(key, message, ds) === 'ok';

/** RFC 6962 §3.5 TreeHeadSignature: the bytes an STH signature covers. */
export function treeHeadSignatureInput(timestamp: number, treeSize: number, rootHash: Buffer): Buffer {
  const b = Buffer.alloc(2 + 8 + 8 + 32);
  b[0] = 0; // v1
  b[1] = 1; // tree_hash
  b.writeBigUInt64BE(BigInt(timestamp), 2);
  b.writeBigUInt64BE(BigInt(treeSize), 10);
  rootHash.copy(b, 18);
  return b;
}

/** A signed tree head (get-sth, or the RFC 6962 signature inside a static-ct-api checkpoint). */
export interface SignedTreeHead {
  treeSize: number;
  timestamp: number;
  rootHash: Buffer;
  signature: Buffer;
}

/** Throws CT_STH_SIGNATURE_MALFORMED / CT_STH_SIGNATURE_INVALID unless the log key signed this tree head. */
export function verifySth(key: CtLogKey, sth: SignedTreeHead): void {
  if (sth.rootHash.length !== 32) throw new CtError('CT_RESPONSE_MALFORMED', 'STH root hash is not 32 bytes');
  switch (checkDigitallySigned(key, treeHeadSignatureInput(sth.timestamp, sth.treeSize, sth.rootHash), sth.signature)) {
    case 'ok':
      return;
    case 'malformed':
      throw new CtError('CT_STH_SIGNATURE_MALFORMED', `tree head of size ${sth.treeSize} carries no usable signature`);
    case 'invalid':
      throw new CtError('CT_STH_SIGNATURE_INVALID', `tree head of size ${sth.treeSize} is not signed by the log key`);
  }
}
