import { X509Certificate } from 'node:crypto';
import { signerFromCertificateDer } from '../identity.js';
import { certificateDer, keySigner, matchKey, pae, spkiKeyId, type TrustedKey } from './crypto.js';
import { OciTrustError } from './errors.js';
import {
  ANN_BUNDLE,
  ANN_CERTIFICATE,
  ANN_RFC3161,
  ANN_SIGNATURE,
  parseRekorSet,
  toBundleJson,
  verifyAsBundle,
  type LegacyContent,
  type RekorSet,
} from './legacy.js';
import { attestationPlaceholder, fail, tlogTime, toFailure, type Checked } from './record.js';
import { bindingDigest, parseStatement, predicateFields, subjectMatches, type Statement } from './statement.js';
import type { DiscoveredLayer } from './types.js';
import type { VerifyContext } from './verify.js';

export const SIMPLESIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
const IN_TOTO = 'application/vnd.in-toto+json';

/**
 * One cosign layer of the pre-bundle format: a simple-signing payload (.sig) or a DSSE envelope
 * (.att), with the signature material in annotations. Checks, in order: what it is about (parse),
 * who signed (a trusted key, or a certificate that chains to Fulcio at the logged time), the
 * transparency-log promise, and that it names this image digest.
 */
export function verifyCosignLayer(layer: DiscoveredLayer, ctx: VerifyContext): Checked {
  const attestation = layer.mediaType === DSSE_MEDIA_TYPE;
  const out: Checked = { format: 'cosign', ...(attestation ? { attestation: attestationPlaceholder() } : {}) };
  try {
    const { content, statement, data, signature, dockerDigest } = attestation ? readEnvelope(layer) : readSimpleSigning(layer);
    if (statement) out.attestation = { ...predicateFields(statement), subjectMatches: subjectMatches(statement, ctx.image.digest) };
    const set = parseRekorSet(layer.annotations[ANN_BUNDLE]);
    const certificate = certificateDer(layer.annotations[ANN_CERTIFICATE]);
    const material = { content, set, rfc3161: rfc3161Of(layer.annotations[ANN_RFC3161]), ...(certificate ? { certificate } : {}) };
    const artifact = content.kind === 'message' ? content.payload : { digest: bindingDigest(statement!, ctx.image.digest) };
    if (set) out.tlog = { logIndex: set.logIndex, integratedTime: tlogTime(set.integratedTime), logId: set.logId, verified: false };

    if (certificate) {
      const signer = signerFromCertificateDer(certificate);
      out.signer = { ...signer, keyId: spkiKeyId(new X509Certificate(certificate).publicKey) };
      if (!ctx.root) throw fail('CERT_UNTRUSTED', 'keyless signature but no trusted root (Fulcio CAs, Rekor keys) was given');
      if (!set && !material.rfc3161) throw fail('TLOG_MISSING', 'keyless signature without transparency-log or timestamp evidence');
      try {
        verifyAsBundle(toBundleJson(material), artifact, { identity: signer.san ?? '', issuer: signer.issuer ?? '' }, ctx.root);
      } catch (err) {
        throw expired(err, set, certificate);
      }
      if (out.tlog) out.tlog.verified = true;
    } else {
      const key = matchKey(ctx.keys, data, signature);
      if (!key) throw noKey(ctx.keys, set);
      out.signer = keySigner(key);
      if (set && ctx.root) {
        verifyAsBundle(toBundleJson(material), artifact, { key: key.pem }, ctx.root);
        out.tlog!.verified = true;
      }
      if (ctx.requireTlog && !out.tlog?.verified) throw fail('TLOG_MISSING', 'a verified transparency-log entry is required and there is none');
    }
    if (statement ? !out.attestation!.subjectMatches : dockerDigest !== ctx.image.digest) {
      throw fail('SUBJECT_MISMATCH', `signed payload is about ${statement ? 'other subjects' : String(dockerDigest)}, not ${ctx.image.digest}`);
    }
  } catch (err) {
    out.failure = toFailure(err);
  }
  return out;
}

interface Read {
  content: LegacyContent;
  statement?: Statement;
  /** The bytes the signature covers. */
  data: Buffer;
  signature: Buffer;
  dockerDigest?: string;
}

function readSimpleSigning(layer: DiscoveredLayer): Read {
  const payload = Buffer.from(layer.bytes);
  const sigText = layer.annotations[ANN_SIGNATURE];
  if (!sigText) throw fail('PAYLOAD_MALFORMED', `layer has no ${ANN_SIGNATURE} annotation`);
  const signature = Buffer.from(sigText, 'base64');
  let parsed: { critical?: { image?: { 'docker-manifest-digest'?: unknown } } };
  try {
    parsed = JSON.parse(payload.toString('utf8')) as typeof parsed;
  } catch (err) {
    throw fail('PAYLOAD_MALFORMED', 'simple-signing payload is not JSON', err);
  }
  const dockerDigest = parsed.critical?.image?.['docker-manifest-digest'];
  if (typeof dockerDigest !== 'string') throw fail('PAYLOAD_MALFORMED', 'simple-signing payload has no critical.image.docker-manifest-digest');
  return { content: { kind: 'message', payload, signature }, data: payload, signature, dockerDigest };
}

function readEnvelope(layer: DiscoveredLayer): Read {
  let env: { payload?: unknown; payloadType?: unknown; signatures?: unknown };
  try {
    env = JSON.parse(Buffer.from(layer.bytes).toString('utf8')) as typeof env;
  } catch (err) {
    throw fail('PAYLOAD_MALFORMED', 'DSSE envelope is not JSON', err);
  }
  const sigs = Array.isArray(env.signatures) ? (env.signatures as { sig?: unknown; keyid?: unknown }[]) : [];
  const first = sigs[0];
  if (typeof env.payload !== 'string' || typeof env.payloadType !== 'string' || typeof first?.sig !== 'string') {
    throw fail('PAYLOAD_MALFORMED', 'DSSE envelope lacks payload, payloadType or a signature');
  }
  if (env.payloadType !== IN_TOTO) throw fail('PAYLOAD_MALFORMED', `DSSE payloadType ${env.payloadType} is not ${IN_TOTO}`);
  const payload = Buffer.from(env.payload, 'base64');
  const envelope = {
    payload: env.payload,
    payloadType: env.payloadType,
    signatures: [{ sig: first.sig, keyid: typeof first.keyid === 'string' ? first.keyid : '' }],
  };
  return {
    content: { kind: 'dsse', envelope },
    statement: parseStatement(payload),
    data: pae(env.payloadType, payload),
    signature: Buffer.from(first.sig, 'base64'),
  };
}

function rfc3161Of(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    const v = (JSON.parse(text) as { SignedRFC3161Timestamp?: unknown }).SignedRFC3161Timestamp;
    return typeof v === 'string' ? v : undefined;
  } catch (err) {
    throw fail('TIMESTAMP_INVALID', `${ANN_RFC3161} annotation is not JSON`, err);
  }
}

/**
 * No trusted key verifies. Cryptographically a wrong key and a tampered payload look the same; the
 * logged Rekor body says which key signed, so when that key is trusted the signature is invalid,
 * otherwise the signer is simply not one we trust.
 */
function noKey(keys: readonly TrustedKey[], set: RekorSet | undefined): OciTrustError {
  const logged = set ? loggedKeyPem(set) : undefined;
  const trusted = logged ? keys.some((k) => k.pem.replace(/\s/g, '') === logged.replace(/\s/g, '')) : false;
  return trusted
    ? fail('SIGNATURE_INVALID', 'the signature does not verify with the trusted key the transparency log names')
    : fail('UNTRUSTED_KEY', keys.length === 0 ? 'no trusted keys are configured' : 'no trusted key verifies the signature');
}

function loggedKeyPem(set: RekorSet): string | undefined {
  try {
    const body = JSON.parse(Buffer.from(set.body, 'base64').toString('utf8')) as { spec?: { signature?: { publicKey?: { content?: unknown } } } };
    const c = body.spec?.signature?.publicKey?.content;
    return typeof c === 'string' ? Buffer.from(c, 'base64').toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** A certificate failure at a logged time outside the certificate's validity is reported as CERT_EXPIRED. */
function expired(err: unknown, set: RekorSet | undefined, der: Buffer): unknown {
  if (!(err instanceof OciTrustError) || err.code !== 'CERT_UNTRUSTED' || !set) return err;
  const cert = new X509Certificate(der);
  const t = set.integratedTime * 1000;
  return t < Date.parse(cert.validFrom) || t > Date.parse(cert.validTo) ? fail('CERT_EXPIRED', 'the certificate was not valid at the logged time', err) : err;
}
