import { createHash } from 'node:crypto';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { verifyBundle, type BundlePolicy } from '../bundle.js';
import { BundleVerifyError, type BundleVerifyErrorCode } from '../errors.js';
import { OciTrustError, type OciTrustErrorCode } from './errors.js';

/**
 * cosign's pre-bundle format keeps the signature material in layer annotations. Rather than a second
 * verifier, the annotations are re-assembled into the Sigstore bundle they are equivalent to (as
 * sigstore-go does for old cosign signatures) and checked by trust/bundle.ts: one code path for
 * Fulcio chains, SCTs, SET (inclusion promise) against the trusted Rekor key, the logged body
 * matching this signature, RFC 3161 timestamps, and certificate validity at the logged time.
 */
export const ANN_SIGNATURE = 'dev.cosignproject.cosign/signature';
export const ANN_CERTIFICATE = 'dev.sigstore.cosign/certificate';
export const ANN_CHAIN = 'dev.sigstore.cosign/chain';
export const ANN_BUNDLE = 'dev.sigstore.cosign/bundle';
export const ANN_RFC3161 = 'dev.sigstore.cosign/rfc3161timestamp';

/** The `dev.sigstore.cosign/bundle` annotation: Rekor's SignedEntryTimestamp and what it signs. */
export interface RekorSet {
  signedEntryTimestamp: string;
  body: string;
  integratedTime: number;
  logIndex: number;
  logId: string;
}

export function parseRekorSet(text: string | undefined): RekorSet | undefined {
  if (text === undefined) return undefined;
  let raw: { SignedEntryTimestamp?: unknown; Payload?: { body?: unknown; integratedTime?: unknown; logIndex?: unknown; logID?: unknown } };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch (err) {
    throw new OciTrustError('TLOG_INVALID', 'dev.sigstore.cosign/bundle annotation is not JSON', err);
  }
  const p = raw.Payload ?? {};
  if (
    typeof raw.SignedEntryTimestamp !== 'string' ||
    typeof p.body !== 'string' ||
    typeof p.integratedTime !== 'number' ||
    typeof p.logIndex !== 'number' ||
    typeof p.logID !== 'string' ||
    !Number.isSafeInteger(p.logIndex) ||
    p.logIndex < 0
  ) {
    throw new OciTrustError('TLOG_INVALID', 'dev.sigstore.cosign/bundle annotation lacks SignedEntryTimestamp or Payload fields');
  }
  return { signedEntryTimestamp: raw.SignedEntryTimestamp, body: p.body, integratedTime: p.integratedTime, logIndex: p.logIndex, logId: p.logID };
}

/** The signed content, as the bundle would carry it. */
export type LegacyContent =
  | { kind: 'message'; payload: Buffer; signature: Buffer }
  | { kind: 'dsse'; envelope: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] } };

export interface LegacyMaterial {
  content: LegacyContent;
  /** Leaf certificate DER (keyless), else the signature is key-based. */
  certificate?: Buffer;
  set?: RekorSet;
  rfc3161?: string;
}

/** The Sigstore bundle (v0.1 with a SET, else v0.2) equivalent to cosign's annotations. */
export function toBundleJson(m: LegacyMaterial): Record<string, unknown> {
  const tlogEntries = m.set ? [tlogEntry(m.set)] : [];
  const verificationMaterial: Record<string, unknown> = {
    // Only the leaf: anchors come from the trusted root, never from the signature's own chain.
    ...(m.certificate ? { x509CertificateChain: { certificates: [{ rawBytes: m.certificate.toString('base64') }] } } : { publicKey: { hint: '' } }),
    tlogEntries,
    timestampVerificationData: { rfc3161Timestamps: m.rfc3161 ? [{ signedTimestamp: m.rfc3161 }] : [] },
  };
  const content =
    m.content.kind === 'message'
      ? {
          messageSignature: {
            messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(m.content.payload).digest('base64') },
            signature: m.content.signature.toString('base64'),
          },
        }
      : { dsseEnvelope: m.content.envelope };
  const version = m.set ? '0.1' : '0.2';
  return { mediaType: `application/vnd.dev.sigstore.bundle+json;version=${version}`, verificationMaterial, ...content };
}

function tlogEntry(set: RekorSet): Record<string, unknown> {
  let kind = 'hashedrekord';
  let version = '0.0.1';
  try {
    const body = JSON.parse(Buffer.from(set.body, 'base64').toString('utf8')) as { kind?: unknown; apiVersion?: unknown };
    if (typeof body.kind === 'string') kind = body.kind;
    if (typeof body.apiVersion === 'string') version = body.apiVersion;
  } catch (err) {
    throw new OciTrustError('TLOG_INVALID', 'the logged Rekor body is not base64 JSON', err);
  }
  return {
    logIndex: String(set.logIndex),
    logId: { keyId: Buffer.from(set.logId, 'hex').toString('base64') },
    kindVersion: { kind, version },
    integratedTime: String(set.integratedTime),
    inclusionPromise: { signedEntryTimestamp: set.signedEntryTimestamp },
    canonicalizedBody: set.body,
  };
}

/** Runs trust/bundle.ts on the assembled bundle; its step codes become OCI codes. */
export function verifyAsBundle(
  bundle: unknown,
  artifact: Buffer | { digest: string },
  policy: BundlePolicy,
  root: TrustedRoot,
): ReturnType<typeof verifyBundle> {
  try {
    return verifyBundle({ bundle, artifact, policy, trustedRoot: root });
  } catch (err) {
    if (err instanceof BundleVerifyError) throw new OciTrustError(ociCode(err.code), err.message, err);
    throw err;
  }
}

export function ociCode(code: BundleVerifyErrorCode): OciTrustErrorCode {
  switch (code) {
    case 'BUNDLE_MALFORMED':
    case 'BUNDLE_DIGEST_MALFORMED':
      return 'PAYLOAD_MALFORMED';
    case 'BUNDLE_ARTIFACT_MISMATCH':
      return 'SUBJECT_MISMATCH';
    case 'BUNDLE_KEY_INVALID':
      return 'UNTRUSTED_KEY';
    case 'BUNDLE_TRUST_MATERIAL_INVALID':
    case 'BUNDLE_CERTIFICATE_INVALID':
    case 'BUNDLE_POLICY_MISMATCH':
      return 'CERT_UNTRUSTED';
    case 'BUNDLE_TIMESTAMP_INVALID':
      return 'TIMESTAMP_INVALID';
    case 'BUNDLE_TLOG_INVALID':
      return 'TLOG_INVALID';
    case 'BUNDLE_SIGNATURE_INVALID':
      return 'SIGNATURE_INVALID';
  }
}
