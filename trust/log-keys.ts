import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { PublicKeyDetails, publicKeyDetailsToJSON, type TransparencyLogInstance, type TrustedRoot } from '@sigstore/protobuf-specs';
import { TlogError } from '../core/tlog/index.js';
import { TrustError } from './errors.js';

/**
 * The one shape of a transparency-log key, whatever it came from (a Sigstore trusted root's
 * `tlogs`/`ctlogs`, or a PEM in a collector's config) and whatever log it signs for: Rekor v1
 * (ECDSA P-256 checkpoints and SETs), Rekor v2 and other tile logs (Ed25519 notes), and
 * Certificate Transparency logs (ECDSA P-256 or RSA; RFC 6962 log ID, validity window).
 * Checkpoint verification with it: trust/checkpoint.ts.
 */
export interface LogKey {
  /** The log's base URL as the trusted root writes it; undefined for a key given as PEM in config. */
  baseUrl: string | undefined;
  /** The public key, ready for node:crypto verify. */
  key: KeyObject;
  /** DER SubjectPublicKeyInfo. Roots may carry RSA keys as PKCS#1 (PKCS1_RSA_*): converted here. */
  spki: Buffer;
  /** SHA-256 of `spki`: the RFC 6962 log ID of a CT log, and the `logID` of Rekor v1 entries. */
  spkiHash: LogKeyId;
  /**
   * The log ID as the trusted root states it, else `spkiHash`. Equal to `spkiHash` for Rekor v1
   * and CT logs; Rekor v2 roots state the C2SP signed-note key ID here instead.
   */
  logId: LogKeyId;
  /** C2SP signed-note key ID when the root states one (trustedroot v0.2), else `logId`. */
  checkpointKeyId: LogKeyId;
  algorithm: LogKeyAlgorithm;
  /** protobuf-specs PublicKeyDetails name: from the root, else inferred from the key (e.g. PKIX_ECDSA_P256_SHA_256). */
  keyDetails: string;
  /** Closed interval; `start`/`end` undefined mean unbounded (a key from config is always valid). */
  validFor: { start: Date | undefined; end: Date | undefined };
  /** The key as PEM SPKI (what collector configs take). */
  publicKeyPem: string;
}

export interface LogKeyId {
  hex: string;
  base64: string;
}

/**
 * Key types transparency logs sign with. Every other type (Ed448, secp256k1, DSA...) is refused
 * with KEY_UNSUPPORTED when the key is loaded, rather than failing every verification later.
 */
export type LogKeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'ed25519' | 'rsa';

/** The Rekor / tile-log keys of a root. Keys that do not parse or are of no log key type are left out. */
export function logKeys(root: TrustedRoot): LogKey[] {
  return root.tlogs.flatMap((log) => fromRoot(log));
}

/** The same for the certificate-transparency logs (SCT verification, CT monitoring). */
export function ctLogKeys(root: TrustedRoot): LogKey[] {
  return root.ctlogs.flatMap((log) => fromRoot(log));
}

/** True when `at` lies inside the key's closed validity interval. */
export function isKeyValidAt(key: LogKey, at: Date): boolean {
  const t = at.getTime();
  return (key.validFor.start === undefined || key.validFor.start.getTime() <= t) && (key.validFor.end === undefined || t <= key.validFor.end.getTime());
}

/**
 * A log key given as PEM (SPKI) in configuration, e.g. what Rekor serves at /api/v1/log/publicKey.
 * It has no base URL and no validity window. Throws TlogError KEY_MALFORMED (not a PEM public
 * key) or KEY_UNSUPPORTED (a key type no transparency log uses).
 */
export function logKeyFromPem(pem: string): LogKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new TlogError('KEY_MALFORMED', 'log public key is not a PEM public key', err);
  }
  const spki = key.export({ format: 'der', type: 'spki' });
  const algorithm = algorithmOf(key);
  return build(key, spki, algorithm, inferredDetails(key, algorithm), { baseUrl: undefined, validFor: { start: undefined, end: undefined } });
}

/**
 * The key of the log at `url` in a trusted root (`tlogs`, or `ctlogs` with `logs: 'ctlogs'`):
 * same host, and the root's base URL path a prefix of `url`'s (tile logs live under a path). Of
 * the keys valid at `at` (default now), the one that came into service last. Throws TrustError
 * TRUST_LOG_KEY_NOT_FOUND.
 */
export function logKeyForUrl(root: TrustedRoot, url: string, opts: { at?: Date; logs?: 'tlogs' | 'ctlogs' } = {}): LogKey {
  let want: URL;
  try {
    want = new URL(url);
  } catch (err) {
    throw new TrustError('TRUST_LOG_KEY_NOT_FOUND', 'log URL is not a URL', err);
  }
  const at = opts.at ?? new Date();
  const keys = opts.logs === 'ctlogs' ? ctLogKeys(root) : logKeys(root);
  const valid = keys.filter((k) => k.baseUrl !== undefined && servesUrl(k.baseUrl, want) && isKeyValidAt(k, at));
  valid.sort((a, b) => (b.validFor.start?.getTime() ?? 0) - (a.validFor.start?.getTime() ?? 0));
  const found = valid[0];
  if (!found) throw new TrustError('TRUST_LOG_KEY_NOT_FOUND', `the trusted root has no usable key for ${want.host} at ${at.toISOString()}`);
  return found;
}

function servesUrl(baseUrl: string, want: URL): boolean {
  try {
    const u = new URL(baseUrl);
    return u.host === want.host && want.pathname.replace(/\/+$/, '').startsWith(u.pathname.replace(/\/+$/, ''));
  } catch {
    return false;
  }
}

function fromRoot(log: TransparencyLogInstance): LogKey[] {
  const pk = log.publicKey;
  if (!pk?.rawBytes || pk.rawBytes.length === 0) return [];
  const raw = Buffer.from(pk.rawBytes);
  const details = publicKeyDetailsToJSON(pk.keyDetails);
  let key: KeyObject;
  let algorithm: LogKeyAlgorithm;
  try {
    key = createPublicKey({ key: raw, format: 'der', type: details.startsWith('PKCS1_') ? 'pkcs1' : 'spki' });
    algorithm = algorithmOf(key);
  } catch {
    return [];
  }
  const spki = key.export({ format: 'der', type: 'spki' });
  return [
    build(key, spki, algorithm, details, {
      baseUrl: log.baseUrl,
      logId: log.logId?.keyId,
      checkpointKeyId: log.checkpointKeyId?.keyId,
      validFor: { start: pk.validFor?.start, end: pk.validFor?.end },
    }),
  ];
}

function build(
  key: KeyObject,
  spki: Buffer,
  algorithm: LogKeyAlgorithm,
  keyDetails: string,
  from: { baseUrl: string | undefined; logId?: Uint8Array | undefined; checkpointKeyId?: Uint8Array | undefined; validFor: LogKey['validFor'] },
): LogKey {
  const spkiHash = createHash('sha256').update(spki).digest();
  // Roots normally state the log ID; computing it keeps hand-written private roots usable.
  const logId = from.logId?.length ? Buffer.from(from.logId) : spkiHash;
  const checkpointKeyId = from.checkpointKeyId?.length ? Buffer.from(from.checkpointKeyId) : logId;
  return {
    baseUrl: from.baseUrl,
    key,
    spki,
    spkiHash: ids(spkiHash),
    logId: ids(logId),
    checkpointKeyId: ids(checkpointKeyId),
    algorithm,
    keyDetails,
    validFor: from.validFor,
    publicKeyPem: key.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

const CURVES: Record<string, LogKeyAlgorithm> = { prime256v1: 'ecdsa-p256', secp384r1: 'ecdsa-p384', secp521r1: 'ecdsa-p521' };

function algorithmOf(key: KeyObject): LogKeyAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'ed25519';
    case 'rsa':
    case 'rsa-pss':
      return 'rsa';
    case 'ec': {
      const alg = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (alg) return alg;
      throw new TlogError('KEY_UNSUPPORTED', `EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '?'} is not a transparency-log key type`);
    }
    default:
      throw new TlogError('KEY_UNSUPPORTED', `${key.asymmetricKeyType ?? 'unknown'} is not a transparency-log key type`);
  }
}

/** PublicKeyDetails for a key from config, by the conventions Sigstore roots use for each type. */
function inferredDetails(key: KeyObject, algorithm: LogKeyAlgorithm): string {
  switch (algorithm) {
    case 'ecdsa-p256':
      return publicKeyDetailsToJSON(PublicKeyDetails.PKIX_ECDSA_P256_SHA_256);
    case 'ecdsa-p384':
      return publicKeyDetailsToJSON(PublicKeyDetails.PKIX_ECDSA_P384_SHA_384);
    case 'ecdsa-p521':
      return publicKeyDetailsToJSON(PublicKeyDetails.PKIX_ECDSA_P521_SHA_512);
    case 'ed25519':
      return publicKeyDetailsToJSON(PublicKeyDetails.PKIX_ED25519);
    case 'rsa': {
      const pss = key.asymmetricKeyType === 'rsa-pss';
      const bits = key.asymmetricKeyDetails?.modulusLength;
      const sized: Record<number, [PublicKeyDetails, PublicKeyDetails]> = {
        2048: [PublicKeyDetails.PKIX_RSA_PKCS1V15_2048_SHA256, PublicKeyDetails.PKIX_RSA_PSS_2048_SHA256],
        3072: [PublicKeyDetails.PKIX_RSA_PKCS1V15_3072_SHA256, PublicKeyDetails.PKIX_RSA_PSS_3072_SHA256],
        4096: [PublicKeyDetails.PKIX_RSA_PKCS1V15_4096_SHA256, PublicKeyDetails.PKIX_RSA_PSS_4096_SHA256],
      };
      const known = bits === undefined ? undefined : sized[bits];
      if (known) return publicKeyDetailsToJSON(known[pss ? 1 : 0]);
      return publicKeyDetailsToJSON(pss ? PublicKeyDetails.PKIX_RSA_PSS : PublicKeyDetails.PKIX_RSA_PKCS1V5);
    }
    default: {
      const never: never = algorithm;
      throw new TlogError('KEY_UNSUPPORTED', `unhandled key algorithm ${String(never)}`);
    }
  }
}

const ids = (b: Buffer): LogKeyId => ({ hex: b.toString('hex'), base64: b.toString('base64') });
