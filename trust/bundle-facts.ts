import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  type ArtifactSigner,
  canonicalJson,
  describeError,
  type FoundAttestation,
  type FoundSignature,
  foundAttestationSchema,
  foundSignatureSchema,
  MAX_INLINE_PREDICATE_BYTES,
} from '../core/index.js';
import { verifyBundle } from './bundle.js';
import { signerFromCertificateDer } from './identity.js';

/**
 * A local Sigstore bundle as the facts a policy judges (registry.artifact.verified.v1's
 * FoundSignature / FoundAttestation), for `chainwatch policy test`: a message-signature bundle is a
 * signature over the image digest, a DSSE bundle an attestation (its in-toto statement's predicate).
 * Verification is trust's verifyBundle against the trusted root: a managed-key bundle with each
 * given key in turn, a keyless one with the identity its own certificate names (who may sign is
 * the policy's question, not this one's). What fails verification is kept with verified=false and
 * the error code, so the policy explains it as unsigned rather than the input vanishing.
 */
export interface BundleFactsInput {
  /** The bundle JSON text. */
  bundle: string;
  /** Digest of the bundle's holder (`ref`): here the SHA-256 of the bundle file. */
  ref: string;
  /** The image digest, "sha256:<hex>". */
  digest: string;
  /** PEM public keys that may verify managed-key bundles. */
  keys: readonly string[];
  trustedRoot: TrustedRoot;
}

export type BundleFact = { kind: 'signature'; value: FoundSignature } | { kind: 'attestation'; value: FoundAttestation };

export function bundleFacts(input: BundleFactsInput): BundleFact {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(input.bundle));
  } catch (err) {
    return toFact(undefined, input, { verified: false, errorCode: 'BUNDLE_MALFORMED', error: describeError(err).message.slice(0, 1000) });
  }
  const tlog = bundle.verificationMaterial.tlogEntries[0];
  const integrated = tlog?.integratedTime && tlog.integratedTime !== '0' ? new Date(Number(tlog.integratedTime) * 1000).toISOString() : undefined;
  const base = {
    ...(tlog ? { tlog: { logIndex: Number(tlog.logIndex), ...(integrated ? { integratedTime: integrated } : {}), verified: false } } : {}),
    ...(integrated ? { signedAt: integrated } : {}),
  };
  const material = bundle.verificationMaterial.content;
  const certDer =
    material.$case === 'x509CertificateChain'
      ? material.x509CertificateChain.certificates[0]?.rawBytes
      : material.$case === 'certificate'
        ? material.certificate.rawBytes
        : undefined;

  let signer: ArtifactSigner | undefined;
  let lastError: { code: string; message: string } = { code: 'UNTRUSTED_KEY', message: 'no given key verifies this managed-key bundle' };
  const attempt = (policy: { key: string } | { identity: string; issuer: string }): boolean => {
    try {
      verifyBundle({ bundle: JSON.parse(input.bundle), artifact: { digest: input.digest }, policy, trustedRoot: input.trustedRoot });
      return true;
    } catch (err) {
      const e = describeError(err);
      lastError = { code: (err as { code?: string }).code ?? 'SIGNATURE_INVALID', message: e.message };
      return false;
    }
  };
  if (certDer) {
    const identity = signerFromCertificateDer(certDer);
    if (identity.san && identity.issuer && attempt({ identity: identity.san, issuer: identity.issuer })) {
      signer = { ...identity, keyId: spkiSha256(new X509Certificate(certDer).publicKey) };
    }
  } else {
    const key = input.keys.find((pem) => attempt({ key: pem }));
    if (key) signer = { kind: 'publicKey', keyId: spkiSha256(createPublicKey(key)), extensions: {} };
  }
  const verified = signer !== undefined;
  const status = verified
    ? { verified: true, signer, ...(base.tlog ? { tlog: { ...base.tlog, verified: true } } : {}) }
    : { verified: false, errorCode: lastError.code.slice(0, 64), error: lastError.message.slice(0, 1000) };
  return toFact(bundle, input, { ...base, ...status });
}

function toFact(bundle: Bundle | undefined, input: BundleFactsInput, status: Record<string, unknown>): BundleFact {
  // foundBy: a local file was found by no registry path; "referrers" is where a Sigstore bundle lives on a registry.
  const common = { format: 'sigstore-bundle', foundBy: 'referrers', ref: input.ref, ...status };
  if (bundle?.content.$case !== 'dsseEnvelope') return { kind: 'signature', value: foundSignatureSchema.parse(common) };
  const statement = parseStatement(bundle.content.dsseEnvelope.payload);
  const predicateJson = canonicalJson(statement.predicate ?? null);
  const bytes = Buffer.byteLength(predicateJson);
  const [alg, hex] = input.digest.split(':') as [string, string];
  return {
    kind: 'attestation',
    value: foundAttestationSchema.parse({
      ...common,
      predicateType: statement.predicateType ?? 'unknown',
      subjectMatches: (statement.subject ?? []).some((s) => s.digest?.[alg] === hex),
      predicateSha256: createHash('sha256').update(predicateJson).digest('hex'),
      predicateBytes: bytes,
      ...(bytes <= MAX_INLINE_PREDICATE_BYTES ? { predicate: statement.predicate } : {}),
      summary: {},
    }),
  };
}

interface Statement {
  predicateType?: string;
  subject?: { digest?: Record<string, string> }[];
  predicate?: unknown;
}

function parseStatement(payload: Buffer): Statement {
  try {
    const s: unknown = JSON.parse(payload.toString('utf8'));
    return s !== null && typeof s === 'object' ? s : {};
  } catch {
    return {};
  }
}

const spkiSha256 = (key: KeyObject): string =>
  createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');

export interface BundleFilesInput {
  bundlePaths: readonly string[];
  keyPaths: readonly string[];
  digest: string;
  /** trusted_root.json; default: production via TUF (offline: the embedded root). */
  trustedRootPath: string | undefined;
}

export interface BundleFileFacts {
  signatures: FoundSignature[];
  attestations: FoundAttestation[];
  /** Which file became which fact, for the explanation. */
  sources: { file: string; kind: BundleFact['kind']; ref: string }[];
}

/** Reads and verifies local bundle files (the I/O around bundleFacts); unreadable files throw. */
export async function loadBundleFacts(input: BundleFilesInput): Promise<BundleFileFacts> {
  const { readFile } = await import('node:fs/promises');
  const { loadTrustedRoot } = await import('./trusted-root.js');
  const trustedRoot = (await loadTrustedRoot(input.trustedRootPath !== undefined ? { kind: 'file', path: input.trustedRootPath } : { kind: 'production' }))
    .root;
  const keys = await Promise.all(input.keyPaths.map((p) => readFile(p, 'utf8')));
  const out: BundleFileFacts = { signatures: [], attestations: [], sources: [] };
  for (const file of input.bundlePaths) {
    const bytes = await readFile(file);
    const ref = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const fact = bundleFacts({ bundle: bytes.toString('utf8'), ref, digest: input.digest, keys, trustedRoot });
    if (fact.kind === 'signature') out.signatures.push(fact.value);
    else out.attestations.push(fact.value);
    out.sources.push({ file, kind: fact.kind, ref });
  }
  return out;
}
