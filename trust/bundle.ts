import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  PolicyError,
  VerificationError,
  Verifier,
  toSignedEntity,
  toTrustMaterial,
  type SignedEntity,
  type Signer,
  type TrustMaterial,
} from '@sigstore/verify';
import { describeError } from '../core/index.js';
import { bundleDigestAlgorithm, hashWith, keyDigestAlgorithm, parseDigest, toHashAlgorithm, type Digest, type DigestAlgorithm } from './digest.js';
import { DigestSignatureContent } from './digest-signature.js';
import { BundleVerifyError, type BundleVerifyErrorCode } from './errors.js';

/**
 * The artifact itself, or only its digest as `<algorithm>:<hex>` (sha256, sha384, sha512; the
 * algorithm must be the one the bundle signs with).
 */
export type ArtifactInput = Buffer | { digest: string };

/** Keyless (Fulcio certificate: exact SAN + OIDC issuer) or a managed key (PEM public key). */
export type BundlePolicy = { identity: string; issuer: string } | { key: string };

export interface VerifyBundleInput {
  /** Parsed bundle JSON, or its text. */
  bundle: unknown;
  artifact: ArtifactInput;
  policy: BundlePolicy;
  trustedRoot: TrustedRoot;
}

export interface VerifiedBundle {
  content: 'messageSignature' | 'dsseEnvelope';
  /** Certificate SAN and issuer extension; undefined for managed-key bundles. */
  identity: string | undefined;
  issuer: string | undefined;
  /** The DSSE payload (an in-toto statement) once its signature verified. */
  payload: { type: string; bytes: Buffer } | undefined;
}

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * Verifies a Sigstore bundle offline, as a checklist (the order matters: cheap structural checks
 * first, then the artifact binding, then cryptography, then who signed):
 *   parseBundle -> rejectRootInChain -> bindArtifact -> buildTrustMaterial -> verifyCryptography
 *   -> verifyPolicy.
 * verifyCryptography delegates to @sigstore/verify's Verifier (timestamps, signing key and
 * certificate chain with SCTs, tlog inclusion proofs/promises and checkpoints, signature).
 * Throws BundleVerifyError with the code of the step that failed.
 */
export function verifyBundle(input: VerifyBundleInput): VerifiedBundle {
  const bundle = parseBundle(input.bundle);
  rejectRootInChain(bundle);
  const digest = bindArtifact(bundle, input.artifact, input.policy);
  const material = buildTrustMaterial(bundle, input.trustedRoot, input.policy);
  const signer = verifyCryptography(material, signedEntity(bundle, input.artifact, digest));
  verifyPolicy(input.policy, signer);
  return {
    content: bundle.content.$case,
    identity: signer.identity?.subjectAlternativeName,
    issuer: signer.identity?.extensions?.issuer,
    payload:
      bundle.content.$case === 'dsseEnvelope' ? { type: bundle.content.dsseEnvelope.payloadType, bytes: bundle.content.dsseEnvelope.payload } : undefined,
  };
}

/** Step 1: JSON shape, media type (v0.1–v0.3) and the fields each version requires. */
function parseBundle(raw: unknown): Bundle {
  try {
    const json: unknown = typeof raw === 'string' || Buffer.isBuffer(raw) ? JSON.parse(raw.toString()) : raw;
    const bundle = bundleFromJSON(json);
    // The log index is a uint64 in the protobuf; a negative one is a forged or broken entry.
    for (const entry of bundle.verificationMaterial.tlogEntries) {
      if (!/^\d+$/.test(String(entry.logIndex))) throw new Error(`invalid log index ${String(entry.logIndex)}`);
    }
    return bundle;
  } catch (err) {
    throw fail('BUNDLE_MALFORMED', `not a valid Sigstore bundle: ${describeError(err).message}`, err);
  }
}

/**
 * Step 2: trust anchors come from the trusted root only. A chain that ships its own self-signed
 * root invites a verifier to anchor on it, so such a bundle is refused outright.
 */
function rejectRootInChain(bundle: Bundle): void {
  const material = bundle.verificationMaterial.content;
  if (material.$case !== 'x509CertificateChain') return;
  for (const { rawBytes } of material.x509CertificateChain.certificates) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(rawBytes);
    } catch (err) {
      throw fail('BUNDLE_MALFORMED', 'bundle certificate chain holds an unparseable certificate', err);
    }
    if (cert.ca && cert.checkIssued(cert) && cert.verify(cert.publicKey)) {
      throw fail('BUNDLE_CERTIFICATE_INVALID', 'bundle certificate chain contains a self-signed root certificate');
    }
  }
}

/** A `<algorithm>:<hex>` argument; a malformed one is refused before anything is compared. */
function givenDigest(text: string): Digest {
  const parsed = parseDigest(text);
  if ('invalid' in parsed) throw fail('BUNDLE_DIGEST_MALFORMED', `malformed artifact digest ${JSON.stringify(text)}: ${parsed.invalid}`);
  return parsed;
}

/**
 * Step 3: the bundle must be about this artifact. A message signature is over the artifact hashed
 * with the bundle's message digest algorithm (or, when it names none, the signing key's), so the
 * file is hashed with that algorithm and a digest argument must use it too. The digest in the
 * bundle is only a hint (the signature check is what proves it), but a mismatch is already
 * conclusive. For DSSE, the in-toto statement must name the artifact as a subject under any
 * algorithm of its digest set (any other payload type must be the artifact itself);
 * @sigstore/verify checks the envelope, not what it is about. Returns the digest a message
 * signature is checked against.
 */
function bindArtifact(bundle: Bundle, artifact: ArtifactInput, policy: BundlePolicy): Digest | undefined {
  switch (bundle.content.$case) {
    case 'messageSignature': {
      const md = bundle.content.messageSignature.messageDigest;
      const algorithm = (md && bundleDigestAlgorithm(md.algorithm)) ?? keyDigestAlgorithm(signingKey(bundle, policy));
      // Name the algorithm explicitly so @sigstore/verify hashes the file with the same one.
      if (md) md.algorithm = toHashAlgorithm(algorithm);
      const digest = Buffer.isBuffer(artifact) ? hashWith(algorithm, artifact) : givenDigest(artifact.digest);
      if (digest.algorithm !== algorithm) {
        throw fail('BUNDLE_ARTIFACT_MISMATCH', `the bundle signs a ${algorithm} digest; a ${digest.algorithm} digest cannot be checked against it`);
      }
      const hint = md?.digest;
      if (hint && hint.length > 0 && !hint.equals(digest.value)) {
        throw fail('BUNDLE_ARTIFACT_MISMATCH', 'bundle message digest does not match the artifact');
      }
      return digest;
    }
    case 'dsseEnvelope': {
      const env = bundle.content.dsseEnvelope;
      const given = Buffer.isBuffer(artifact) ? undefined : givenDigest(artifact.digest);
      const matches = (algorithm: DigestAlgorithm, value: Buffer): boolean =>
        given ? given.algorithm === algorithm && given.value.equals(value) : hashWith(algorithm, artifact as Buffer).value.equals(value);
      if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
        // Not a statement about something else: then the payload itself is the artifact.
        const same = given ? matches(given.algorithm, hashWith(given.algorithm, env.payload).value) : env.payload.equals(artifact as Buffer);
        if (!same) throw fail('BUNDLE_ARTIFACT_MISMATCH', `artifact is not the DSSE payload (${env.payloadType})`);
        return undefined;
      }
      if (!inTotoSubjects(env.payload).some((d) => matches(d.algorithm, d.value))) {
        throw fail('BUNDLE_ARTIFACT_MISMATCH', 'artifact is not a subject of the in-toto statement');
      }
      return undefined;
    }
  }
}

/** The key that made the signature: the leaf certificate's, or the managed key given. */
function signingKey(bundle: Bundle, policy: BundlePolicy): KeyObject {
  const material = bundle.verificationMaterial.content;
  try {
    switch (material.$case) {
      case 'x509CertificateChain':
        return new X509Certificate(material.x509CertificateChain.certificates[0]!.rawBytes).publicKey;
      case 'certificate':
        return new X509Certificate(material.certificate.rawBytes).publicKey;
      case 'publicKey':
        if ('key' in policy) return createPublicKey(policy.key);
        throw new Error('a public-key bundle needs --key');
    }
  } catch (err) {
    throw fail('BUNDLE_KEY_INVALID', 'the bundle names no digest algorithm and its signing key cannot be read', err);
  }
}

/** Every (algorithm, digest) of every subject, for the algorithms we can compute. */
function inTotoSubjects(payload: Buffer): Digest[] {
  try {
    const statement = JSON.parse(payload.toString('utf8')) as { subject?: { digest?: Record<string, unknown> }[] };
    return (statement.subject ?? []).flatMap((s) =>
      Object.entries(s.digest ?? {}).flatMap(([name, hex]) => {
        const parsed = typeof hex === 'string' ? parseDigest(`${name}:${hex}`) : undefined;
        return parsed && !('invalid' in parsed) ? [parsed] : [];
      }),
    );
  } catch (err) {
    throw fail('BUNDLE_MALFORMED', 'DSSE payload is not an in-toto statement', err);
  }
}

/**
 * Step 4: the trust material. With a managed key the bundle must carry a public-key hint
 * (a certificate would otherwise be verified against Fulcio and the key silently ignored), and the
 * given key answers for every hint: the caller chose the key, the hint is unauthenticated.
 */
function buildTrustMaterial(bundle: Bundle, root: TrustedRoot, policy: BundlePolicy): TrustMaterial {
  if (!('key' in policy)) return toTrustMaterial(root);
  if (bundle.verificationMaterial.content.$case !== 'publicKey') {
    throw fail('BUNDLE_KEY_INVALID', 'a key was given but the bundle is signed with a certificate');
  }
  let key: KeyObject;
  try {
    key = createPublicKey(policy.key);
  } catch (err) {
    throw fail('BUNDLE_KEY_INVALID', 'the given key is not a PEM public key', err);
  }
  return toTrustMaterial(root, () => ({ publicKey: key, validFor: () => true }));
}

function signedEntity(bundle: Bundle, artifact: ArtifactInput, digest: Digest | undefined): SignedEntity {
  try {
    if (Buffer.isBuffer(artifact)) return toSignedEntity(bundle, artifact);
    const entity = toSignedEntity(bundle);
    if (bundle.content.$case === 'messageSignature' && digest) {
      entity.signature = new DigestSignatureContent(bundle.content.messageSignature, digest);
    }
    return entity;
  } catch (err) {
    // Certificates and timestamps are parsed here; unparseable ones make a malformed bundle.
    throw fail('BUNDLE_MALFORMED', `cannot read bundle material: ${describeError(err).message}`, err);
  }
}

/** Step 5: timestamps, signing key, transparency-log entries, signature (in that order). */
function verifyCryptography(material: TrustMaterial, entity: SignedEntity): Signer {
  try {
    return new Verifier(material).verify(entity);
  } catch (err) {
    throw fail(codeOf(err), `bundle verification failed: ${describeError(err).message}`, err);
  }
}

/**
 * Step 6: who signed. Exact string equality: @sigstore/verify's own policy treats the identity as
 * an unanchored regular expression, which would accept any SAN that merely contains it.
 */
function verifyPolicy(policy: BundlePolicy, signer: Signer): void {
  if ('key' in policy) return;
  const san = signer.identity?.subjectAlternativeName;
  if (san !== policy.identity) throw fail('BUNDLE_POLICY_MISMATCH', `certificate identity ${String(san)} is not ${policy.identity}`);
  const issuer = signer.identity?.extensions?.issuer;
  if (issuer !== policy.issuer) throw fail('BUNDLE_POLICY_MISMATCH', `certificate issuer ${String(issuer)} is not ${policy.issuer}`);
}

function codeOf(err: unknown): BundleVerifyErrorCode {
  if (err instanceof PolicyError) return 'BUNDLE_POLICY_MISMATCH';
  if (!(err instanceof VerificationError)) return 'BUNDLE_MALFORMED';
  const code = String((err as { code?: unknown }).code);
  if (code.startsWith('TIMESTAMP')) return 'BUNDLE_TIMESTAMP_INVALID';
  if (code.startsWith('CERTIFICATE')) return 'BUNDLE_CERTIFICATE_INVALID';
  if (code.startsWith('TLOG')) return 'BUNDLE_TLOG_INVALID';
  if (code === 'PUBLIC_KEY_ERROR') return 'BUNDLE_KEY_INVALID';
  if (code === 'SIGNATURE_ERROR') return 'BUNDLE_SIGNATURE_INVALID';
  return 'BUNDLE_TRUST_MATERIAL_INVALID';
}

const fail = (code: BundleVerifyErrorCode, message: string, cause?: unknown): BundleVerifyError => new BundleVerifyError(code, message, cause);
