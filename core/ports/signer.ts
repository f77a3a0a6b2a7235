import { createHash, createPublicKey, type KeyObject, sign as cryptoSign } from 'node:crypto';
import { z } from 'zod';
import { KeyError } from '../errors.js';

/**
 * The Signer port: one of chainwatch's own signing keys (the audit checkpoint key today), wherever
 * the private half lives. Signing is asynchronous so that a key held by a PKCS#11 token or a KMS,
 * which never leaves it, fits behind the same port as a key file. Adapters: keys/ (file-backed);
 * the private key material never crosses this interface.
 *
 * Not to be confused with SignerIdentity (core/events): who signed an artifact in a log entry.
 */
export interface Signer {
  /** Stable id of the key: hex SHA-256 of its SubjectPublicKeyInfo (DER). Safe to log. */
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  /** The public half, for verifiers and published verifier keys. */
  readonly publicKey: KeyObject;
  /** Signs `data` as the algorithm defines (Ed25519: the message itself, no pre-hash). */
  sign(data: Uint8Array): Promise<Buffer>;
}

/** Closed: every consumer switches on it exhaustively. Add 'ecdsa-p256-sha256' when a key needs it. */
export type SignatureAlgorithm = 'ed25519';

/**
 * Where a key lives, as written in config. A union of single-key objects, so the next kind is one
 * more member: `{ file: PATH }` today, `{ pkcs11: { ... } }` next. Paths are used as given
 * (absolute, or relative to the working directory).
 */
export const fileKeyRefSchema = z
  .object({
    /** Ed25519 private key, PKCS#8 PEM, mode 0600 (created on first use where the caller allows). */
    file: z.string().min(1),
  })
  .strict();
export const keyRefSchema = z.union([fileKeyRefSchema]);
export type KeyRef = z.output<typeof keyRefSchema>;

export interface OpenKeyOptions {
  /**
   * Create the key when the reference names none yet (a file that does not exist). Kinds whose
   * keys are provisioned elsewhere (an HSM) ignore it.
   */
  create?: boolean;
}

/** Opens Signers from key references: the daemon builds one (from keys/) and hands it to components as `ctx.keys`. */
export interface KeyProvider {
  /** Throws KeyError. */
  open(ref: KeyRef, opts?: OpenKeyOptions): Promise<Signer>;
}

/** A short description of a reference for logs and errors (never key material). */
export function describeKeyRef(ref: KeyRef): string {
  if ('file' in ref) return `file ${ref.file}`;
  const never: never = ref;
  return String(never);
}

/** hex SHA-256 of the key's SPKI DER: the Signer.keyId convention. */
export function spkiKeyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('hex');
}

/**
 * A Signer over a private key held in this process (node:crypto KeyObject): what the file
 * adapter returns and what test twins use. Throws KeyError KEY_UNSUPPORTED for other key types.
 */
export function keyObjectSigner(privateKey: KeyObject): Signer {
  if (privateKey.type !== 'private') throw new KeyError('KEY_UNSUPPORTED', 'a signer needs a private key');
  const algorithm = algorithmOf(privateKey);
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: spkiKeyId(publicKey),
    algorithm,
    publicKey,
    sign: async (data) => {
      switch (algorithm) {
        case 'ed25519':
          return cryptoSign(null, data, privateKey);
      }
    },
  };
}

function algorithmOf(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  throw new KeyError('KEY_UNSUPPORTED', `unsupported key type ${key.asymmetricKeyType ?? 'unknown'} (expected ed25519)`);
}
