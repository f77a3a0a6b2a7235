import { createHash, createPublicKey } from 'node:crypto';
import { publicKeyDetailsToJSON, type PublicKeyDetails, type TrustedRoot, type TransparencyLogInstance } from '@sigstore/protobuf-specs';

/**
 * The transparency-log keys of a trusted root, flattened for the Rekor collector and for
 * checkpoint verification: which key signs which log, and when it may be trusted.
 */
export interface LogKey {
  /** As written in the root, e.g. https://rekor.sigstore.dev; signed-note key names are matched against it. */
  baseUrl: string;
  /** SHA-256 of the SPKI (RFC 6962 log ID); for Rekor v2 equal to the checkpoint key ID. */
  logId: { hex: string; base64: string };
  /** C2SP signed-note key ID when the root states one (trustedroot v0.2), else the log ID. */
  checkpointKeyId: { hex: string; base64: string };
  /** DER SubjectPublicKeyInfo (or PKCS#1 for PKCS1_RSA_* key details). */
  publicKeyDer: Buffer;
  /** The same key as PEM SPKI (what collector configs take); undefined if it does not parse. */
  publicKeyPem: string | undefined;
  /** protobuf-specs PublicKeyDetails name, e.g. PKIX_ECDSA_P256_SHA_256, PKIX_ED25519. */
  keyDetails: string;
  /** Closed interval; `end` undefined means the key is still in service. */
  validFor: { start: Date | undefined; end: Date | undefined };
}

export function logKeys(root: TrustedRoot): LogKey[] {
  return root.tlogs.flatMap((log) => {
    const key = toLogKey(log);
    return key ? [key] : [];
  });
}

/** The same shape for the certificate-transparency logs (SCT verification, CT monitoring). */
export function ctLogKeys(root: TrustedRoot): LogKey[] {
  return root.ctlogs.flatMap((log) => {
    const key = toLogKey(log);
    return key ? [key] : [];
  });
}

/** True when `at` lies inside the key's closed validity interval. */
export function isKeyValidAt(key: LogKey, at: Date): boolean {
  const t = at.getTime();
  return (key.validFor.start === undefined || key.validFor.start.getTime() <= t) && (key.validFor.end === undefined || t <= key.validFor.end.getTime());
}

function toLogKey(log: TransparencyLogInstance): LogKey | undefined {
  const raw = log.publicKey?.rawBytes;
  if (!raw || raw.length === 0) return undefined;
  const der = Buffer.from(raw);
  // Roots normally carry the log ID; computing it keeps hand-written private roots usable.
  const logId = log.logId?.keyId?.length ? Buffer.from(log.logId.keyId) : createHash('sha256').update(der).digest();
  const checkpointKeyId = log.checkpointKeyId?.keyId?.length ? Buffer.from(log.checkpointKeyId.keyId) : logId;
  return {
    baseUrl: log.baseUrl,
    logId: ids(logId),
    checkpointKeyId: ids(checkpointKeyId),
    publicKeyDer: der,
    publicKeyPem: toPem(der, log.publicKey!.keyDetails),
    keyDetails: publicKeyDetailsToJSON(log.publicKey!.keyDetails),
    validFor: { start: log.publicKey?.validFor?.start, end: log.publicKey?.validFor?.end },
  };
}

function toPem(der: Buffer, details: PublicKeyDetails): string | undefined {
  try {
    const type = publicKeyDetailsToJSON(details).startsWith('PKCS1_') ? 'pkcs1' : 'spki';
    return createPublicKey({ key: der, format: 'der', type }).export({ format: 'pem', type: 'spki' }).toString();
  } catch {
    return undefined;
  }
}

const ids = (b: Buffer): { hex: string; base64: string } => ({ hex: b.toString('hex'), base64: b.toString('base64') });
