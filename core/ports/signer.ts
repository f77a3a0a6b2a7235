import { createHash, createPublicKey, type KeyObject, sign as cryptoSign } from 'node:crypto';
import { z } from 'zod';
import { KeyError } from '../errors.js';
import { parsePkcs11Uri } from '../pkcs11-uri.js';
import { secretSchema } from '../secret.js';

/**
 * The Signer port: one of chainwatch's own signing keys (the audit checkpoint key today), wherever
 * the private half lives. Signing is asynchronous so that a key held by a PKCS#11 token or a KMS,
 * which never leaves it, fits behind the same port as a key file. Adapters: keys/ (file-backed,
 * PKCS#11 tokens); the private key material never crosses this interface.
 *
 * Not to be confused with SignerIdentity (core/events): who signed an artifact in a log entry.
 */
export interface Signer {
  /** Stable id of the key: hex SHA-256 of its SubjectPublicKeyInfo (DER). Safe to log. */
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  /** The public half, for verifiers and published verifier keys. */
  readonly publicKey: KeyObject;
  /**
   * Signs `data` as the algorithm defines: Ed25519 signs the message itself (no pre-hash, 64
   * bytes); ECDSA hashes it (SHA-256 for P-256, SHA-384 for P-384) and returns the ASN.1 DER
   * signature (SEQUENCE { r, s }), what node:crypto and X.509/RFC 6962 verifiers expect.
   */
  sign(data: Uint8Array): Promise<Buffer>;
  /** Releases what the signer holds (token sessions). Idempotent; file keys hold nothing. */
  close?(): Promise<void>;
}

/** Closed: every consumer switches on it exhaustively. */
export type SignatureAlgorithm = 'ed25519' | 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384';

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
/**
 * A private key on a PKCS#11 token (an HSM; SoftHSM2 in tests): `uri` is an RFC 7512 URI
 * (core/pkcs11-uri.ts: token by label, key by label and/or id), `module` the PKCS#11 library
 * (default: the URI's module-path), `pin` the user PIN as a secret ({ env } or { file }).
 */
export const pkcs11KeyRefSchema = z
  .object({
    pkcs11: z
      .object({
        uri: z.string().superRefine((v, ctx) => {
          const parsed = parsePkcs11Uri(v);
          if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
        }),
        module: z.string().min(1).optional(),
        pin: secretSchema,
        /** Sessions kept open for concurrent signatures. */
        sessions: z.number().int().min(1).max(64).default(4),
      })
      .strict()
      .refine((p) => p.module !== undefined || pkcs11ModuleOf(p.uri) !== undefined, {
        message: 'name the PKCS#11 library: `module: PATH` or module-path=PATH in the URI',
        path: ['module'],
      }),
  })
  .strict();
export const keyRefSchema = z.union([fileKeyRefSchema, pkcs11KeyRefSchema]);
export type Pkcs11KeyRef = z.output<typeof pkcs11KeyRefSchema>['pkcs11'];

function pkcs11ModuleOf(uri: string): string | undefined {
  const parsed = parsePkcs11Uri(uri);
  return typeof parsed === 'string' ? undefined : parsed.modulePath;
}
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
  if ('pkcs11' in ref) return ref.pkcs11.uri; // the PIN is never part of the URI (refused at parse)
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
 * adapter returns, what test twins and the HSM benchmark's baseline use. Throws KeyError
 * KEY_UNSUPPORTED for other key types.
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
        case 'ecdsa-p256-sha256':
          return cryptoSign('sha256', data, privateKey);
        case 'ecdsa-p384-sha384':
          return cryptoSign('sha384', data, privateKey);
      }
    },
  };
}

/** The signature algorithm a key implies (ECDSA: the hash that matches the curve's strength). */
export function algorithmOf(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ecdsa-p256-sha256';
    if (curve === 'secp384r1') return 'ecdsa-p384-sha384';
  }
  throw new KeyError('KEY_UNSUPPORTED', `unsupported key type ${key.asymmetricKeyType ?? 'unknown'} (expected Ed25519, ECDSA P-256 or P-384)`);
}
