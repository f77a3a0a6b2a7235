import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { ArtifactSigner } from '../../core/index.js';
import { firstPemBlock } from '../pem.js';

/** A trusted cosign key, parsed once per verification. */
export interface TrustedKey {
  name: string;
  pem: string;
  key: KeyObject;
  /** Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (the keyId every key-based rule matches on). */
  keyId: string;
}

export const sha256hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Parses the trusted keys; an unreadable key is skipped (it can never match) rather than failing every artefact. */
export function parseKeys(keys: ReadonlyArray<{ name: string; publicKeyPem: string }>): TrustedKey[] {
  return keys.flatMap(({ name, publicKeyPem }) => {
    try {
      const key = createPublicKey(publicKeyPem);
      return [{ name, pem: publicKeyPem, key, keyId: spkiKeyId(key) }];
    } catch {
      return [];
    }
  });
}

export const spkiKeyId = (key: KeyObject): string => sha256hex(key.export({ format: 'der', type: 'spki' }));

/** DSSE pre-authentication encoding: what a DSSE signature covers. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** Signature over `data` (hashed by the signature scheme: SHA-256 for cosign's ECDSA/RSA keys; Ed25519 signs the bytes). */
export function verifyWith(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    const algorithm = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
    return verify(algorithm, data, key, signature);
  } catch {
    return false;
  }
}

/** The first trusted key whose signature over `data` checks, if any. */
export const matchKey = (keys: readonly TrustedKey[], data: Buffer, signature: Buffer): TrustedKey | undefined =>
  keys.find((k) => verifyWith(k.key, data, signature));

export const keySigner = (k: TrustedKey): ArtifactSigner => ({ kind: 'publicKey', fingerprintSha256: k.keyId, keyId: k.keyId, extensions: {} });

/** DER of the first CERTIFICATE block of a PEM annotation, or undefined. */
export function certificateDer(pem: string | undefined): Buffer | undefined {
  if (!pem) return undefined;
  const block = firstPemBlock(pem);
  return block?.label === 'CERTIFICATE' ? Buffer.from(block.der) : undefined;
}
