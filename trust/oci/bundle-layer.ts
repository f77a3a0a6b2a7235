import { X509Certificate } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { signerFromCertificateDer } from '../identity.js';
import { DigestSignatureContent } from '../digest-signature.js';
import { parseDigest } from '../digest.js';
import { keySigner, matchKey, pae, spkiKeyId, type TrustedKey } from './crypto.js';
import { verifyAsBundle } from './legacy.js';
import { attestationPlaceholder, fail, tlogTime, toFailure, type Checked } from './record.js';
import { bindingDigest, parseStatement, predicateFields, subjectMatches, type Statement } from './statement.js';
import type { DiscoveredLayer } from './types.js';
import type { VerifyContext } from './verify.js';

export const isBundleMediaType = (mediaType: string): boolean => mediaType.startsWith('application/vnd.dev.sigstore.bundle');

/**
 * A Sigstore bundle layer (cosign v3's default, and OCI 1.1 referrers with artifactType
 * application/vnd.dev.sigstore.bundle.v0.3+json): a message signature over the image digest, or a
 * DSSE in-toto statement about it. Verified by trust/bundle.ts; a key-signed bundle without any
 * log entry (signed offline) is checked directly against the trusted keys, like cosign does with
 * --insecure-ignore-tlog, unless requireTlog.
 */
export function verifyBundleLayer(layer: DiscoveredLayer, ctx: VerifyContext): Checked & { statement?: Statement } {
  const out: Checked & { statement?: Statement } = { format: 'sigstore-bundle' };
  try {
    let bundle: Bundle;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(layer.bytes).toString('utf8'));
      bundle = bundleFromJSON(json);
    } catch (err) {
      throw fail('PAYLOAD_MALFORMED', 'layer is not a Sigstore bundle', err);
    }
    const content = bundle.content;
    // Anchors come from the trusted root only: keep just the leaf of a shipped chain (an intermediate
    // or root the signer ships adds nothing and trust/bundle.ts refuses a self-signed one outright).
    leafOnly(json);
    if (content.$case === 'dsseEnvelope') out.attestation = attestationPlaceholder();
    const statement = content.$case === 'dsseEnvelope' ? parseStatement(content.dsseEnvelope.payload) : undefined;
    if (statement) {
      out.statement = statement;
      out.attestation = { ...predicateFields(statement), subjectMatches: subjectMatches(statement, ctx.image.digest) };
    }
    const entry = bundle.verificationMaterial.tlogEntries[0];
    if (entry) {
      out.tlog = {
        logIndex: Number(entry.logIndex),
        ...(entry.integratedTime && entry.integratedTime !== '0' ? { integratedTime: tlogTime(Number(entry.integratedTime)) } : {}),
        logId: entry.logId?.keyId.toString('hex') ?? '',
        verified: false,
      };
    }
    const artifact = { digest: statement ? bindingDigest(statement, ctx.image.digest) : ctx.image.digest };
    const leaf = leafCertificate(bundle);
    if (leaf) {
      const signer = signerFromCertificateDer(leaf);
      out.signer = { ...signer, keyId: spkiKeyId(new X509Certificate(leaf).publicKey) };
      if (!ctx.root) throw fail('CERT_UNTRUSTED', 'keyless bundle but no trusted root (Fulcio CAs, Rekor keys) was given');
      verifyAsBundle(json, artifact, { identity: signer.san ?? '', issuer: signer.issuer ?? '' }, ctx.root);
      if (out.tlog) out.tlog.verified = true;
    } else {
      const key = keyFor(bundle, artifact.digest, ctx.keys);
      if (!key) throw fail('UNTRUSTED_KEY', ctx.keys.length === 0 ? 'no trusted keys are configured' : 'no trusted key verifies the bundle signature');
      out.signer = keySigner(key);
      if (entry && ctx.root) {
        verifyAsBundle(json, artifact, { key: key.pem }, ctx.root);
        out.tlog!.verified = true;
      }
      if (ctx.requireTlog && !out.tlog?.verified) throw fail('TLOG_MISSING', 'a verified transparency-log entry is required and there is none');
    }
    if (statement && !out.attestation!.subjectMatches) throw fail('SUBJECT_MISMATCH', `the statement's subjects do not name ${ctx.image.digest}`);
  } catch (err) {
    out.failure = toFailure(err);
  }
  return out;
}

function leafOnly(json: unknown): void {
  const chain = (json as { verificationMaterial?: { x509CertificateChain?: { certificates?: unknown[] } } }).verificationMaterial?.x509CertificateChain;
  if (Array.isArray(chain?.certificates)) chain.certificates = chain.certificates.slice(0, 1);
}

function leafCertificate(bundle: Bundle): Buffer | undefined {
  const m = bundle.verificationMaterial.content;
  switch (m.$case) {
    case 'x509CertificateChain':
      return m.x509CertificateChain.certificates[0]?.rawBytes;
    case 'certificate':
      return m.certificate.rawBytes;
    case 'publicKey':
      return undefined;
  }
}

/** The trusted key that made the bundle's signature (DSSE over PAE, or a message signature over the digest). */
function keyFor(bundle: Bundle, digestText: string, keys: readonly TrustedKey[]): TrustedKey | undefined {
  const content = bundle.content;
  switch (content.$case) {
    case 'dsseEnvelope': {
      const env = content.dsseEnvelope;
      const sig = env.signatures[0]?.sig;
      return sig ? matchKey(keys, pae(env.payloadType, env.payload), sig) : undefined;
    }
    case 'messageSignature': {
      const digest = parseDigest(digestText);
      if ('invalid' in digest) return undefined;
      const check = new DigestSignatureContent(content.messageSignature, digest);
      return keys.find((k) => check.verifySignature(k.key));
    }
  }
}
