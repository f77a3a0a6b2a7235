import type { SignerIdentity } from '../../core/index.js';
import { signerFromCertificateDer, signerFromPem } from '../../trust/index.js';
import { ProvenanceError } from './errors.js';

/**
 * Reads the containers provenance arrives in and returns the in-toto Statement inside, with the
 * signer and time its container knows about. Accepted shapes (all seen in ../shared/realdata/slsa):
 *   - a bare in-toto Statement (v0.1 or v1);
 *   - a DSSE envelope {payloadType, payload, signatures} (slsa-github-generator .intoto.jsonl: first line);
 *   - a Sigstore bundle (v0.1-v0.3) with a dsseEnvelope, signer from its leaf certificate;
 *   - npm's attestations document {attestations: [{predicateType, bundle}]} (the SLSA one is taken);
 *   - Google Cloud Build's {provenance_summary: {provenance: [{envelope | build.intotoStatement}]}}.
 * Limits are checked before anything is trusted: total bytes, decoded payload bytes, nesting depth.
 * Every refusal is a ProvenanceError with a code; nothing here throws anything else.
 */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
export const MAX_DEPTH = 64;
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface ProvenanceInput {
  /** The in-toto Statement (already parsed JSON object). */
  statement: Record<string, unknown>;
  /** Who signed it, when the container said (bundle certificate, Rekor entry signers, attestation event). */
  signer?: SignerIdentity | undefined;
  /** When it was made, when the container said (tlog integrated time, TSA, signedAt). ISO 8601. */
  signedAt?: string | undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses text (or bytes) into a ProvenanceInput; for a JSON Lines file the first non-empty line. */
export function readProvenanceText(text: string | Buffer): ProvenanceInput {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only a string that might be too large is measured.
  if (s.length * 3 > MAX_DOCUMENT_BYTES && Buffer.byteLength(s) > MAX_DOCUMENT_BYTES)
    throw new ProvenanceError('PROVENANCE_TOO_LARGE', `document is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(s);
  } catch (e) {
    // JSON Lines (one envelope per line): take the first line that parses.
    const first = s.split('\n').find((l) => l.trim() !== '');
    try {
      value = first === undefined || first.length === s.length ? undefined : JSON.parse(first);
    } catch {
      value = undefined;
    }
    if (value === undefined) throw new ProvenanceError('PROVENANCE_MALFORMED_JSON', 'document is not JSON', { cause: e });
  }
  return readProvenanceValue(value);
}

/** Same as readProvenanceText for an already parsed value. */
export function readProvenanceValue(value: unknown): ProvenanceInput {
  checkDepth(value);
  if (!isObj(value)) throw new ProvenanceError('PROVENANCE_MALFORMED_JSON', 'document is not a JSON object');
  if (typeof value._type === 'string' || 'predicateType' in value) return { statement: checkStatement(value) };
  if ('payloadType' in value || 'payload' in value) return { statement: statementFromDsse(value) };
  if (isObj(value.dsseEnvelope) || typeof value.mediaType === 'string') return fromBundle(value);
  if (Array.isArray(value.attestations)) return fromNpm(value.attestations);
  if (isObj(value.provenance_summary)) return fromCloudBuild(value.provenance_summary);
  throw new ProvenanceError('PROVENANCE_NOT_STATEMENT', 'neither an in-toto statement, a DSSE envelope, a Sigstore bundle nor a known attestation document');
}

/**
 * Refuses values nesting deeper than MAX_DEPTH. Recursive, but the recursion stops at `max`
 * levels, so a hostile document cannot exhaust the stack; no allocation per node (the iterative
 * version's [value, depth] pairs and Object.values arrays were an eighth of extraction's time).
 */
export function checkDepth(value: unknown, max = MAX_DEPTH): void {
  if (typeof value === 'object' && value !== null) walk(value, 0, max);
}

function walk(v: object, d: number, max: number): void {
  if (d > max) throw new ProvenanceError('PROVENANCE_TOO_DEEP', `document nests deeper than ${max} levels`);
  if (Array.isArray(v)) {
    for (const c of v) if (typeof c === 'object' && c !== null) walk(c as object, d + 1, max);
    return;
  }
  for (const k in v) {
    const c = (v as Record<string, unknown>)[k];
    if (typeof c === 'object' && c !== null) walk(c, d + 1, max);
  }
}

export function statementFromDsse(env: Obj): Obj {
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new ProvenanceError(
      'PROVENANCE_WRONG_PAYLOAD_TYPE',
      `DSSE payloadType is ${JSON.stringify(String(env.payloadType)).slice(0, 80)}, not ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  }
  if (typeof env.payload !== 'string' || env.payload.length === 0) throw new ProvenanceError('PROVENANCE_BAD_DSSE', 'DSSE payload is missing or not a string');
  if (env.signatures !== undefined && !Array.isArray(env.signatures)) throw new ProvenanceError('PROVENANCE_BAD_DSSE', 'DSSE signatures is not a list');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(env.payload)) throw new ProvenanceError('PROVENANCE_BAD_DSSE', 'DSSE payload is not base64');
  if ((env.payload.length * 3) / 4 > MAX_DOCUMENT_BYTES) throw new ProvenanceError('PROVENANCE_TOO_LARGE', 'DSSE payload is too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  } catch (e) {
    throw new ProvenanceError('PROVENANCE_BAD_DSSE', 'DSSE payload is not JSON', { cause: e });
  }
  checkDepth(parsed);
  if (!isObj(parsed)) throw new ProvenanceError('PROVENANCE_NOT_STATEMENT', 'DSSE payload is not a JSON object');
  return checkStatement(parsed);
}

export function checkStatement(s: Obj): Obj {
  if (typeof s._type !== 'string' || !s._type.startsWith('https://in-toto.io/Statement/')) {
    throw new ProvenanceError('PROVENANCE_NOT_STATEMENT', 'missing or unknown in-toto _type');
  }
  if (typeof s.predicateType !== 'string') throw new ProvenanceError('PROVENANCE_NOT_STATEMENT', 'statement has no predicateType');
  if (!Array.isArray(s.subject)) throw new ProvenanceError('PROVENANCE_NOT_STATEMENT', 'statement has no subject list');
  return s;
}

function fromBundle(b: Obj): ProvenanceInput {
  if (!isObj(b.dsseEnvelope)) throw new ProvenanceError('PROVENANCE_NOT_STATEMENT', 'Sigstore bundle carries a message signature, not a DSSE statement');
  const statement = statementFromDsse(b.dsseEnvelope);
  const vm = isObj(b.verificationMaterial) ? b.verificationMaterial : {};
  return { statement, signer: bundleSigner(vm), signedAt: bundleTime(vm) };
}

/** Leaf certificate (v0.3 `certificate`, v0.1/0.2 `x509CertificateChain`) or public key hint; absent if none. */
function bundleSigner(vm: Obj): SignerIdentity | undefined {
  const leaf: unknown = isObj(vm.certificate)
    ? vm.certificate
    : isObj(vm.x509CertificateChain) && Array.isArray(vm.x509CertificateChain.certificates)
      ? (vm.x509CertificateChain.certificates as unknown[])[0]
      : undefined;
  if (isObj(leaf) && typeof leaf.rawBytes === 'string') return signerFromCertificateDer(Buffer.from(leaf.rawBytes, 'base64'));
  if (isObj(vm.publicKey) && typeof vm.publicKey.rawBytes === 'string') return signerFromPem(vm.publicKey.rawBytes);
  return undefined;
}

function bundleTime(vm: Obj): string | undefined {
  const entry: unknown = Array.isArray(vm.tlogEntries) ? (vm.tlogEntries as unknown[])[0] : undefined;
  const t = isObj(entry) ? Number(entry.integratedTime) : NaN;
  return Number.isFinite(t) && t > 0 ? new Date(t * 1000).toISOString() : undefined;
}

function fromNpm(list: unknown[]): ProvenanceInput {
  const att = list.find((a) => isObj(a) && typeof a.predicateType === 'string' && a.predicateType.startsWith('https://slsa.dev/provenance/'));
  if (!isObj(att) || !isObj(att.bundle)) throw new ProvenanceError('PROVENANCE_UNKNOWN_PREDICATE', 'npm attestations carry no SLSA provenance');
  return fromBundle(att.bundle);
}

function fromCloudBuild(summary: Obj): ProvenanceInput {
  const first: unknown = Array.isArray(summary.provenance) ? (summary.provenance as unknown[])[0] : undefined;
  if (!isObj(first)) throw new ProvenanceError('PROVENANCE_NOT_STATEMENT', 'Cloud Build summary has no provenance');
  if (isObj(first.envelope)) return { statement: statementFromDsse(first.envelope) };
  const inline = isObj(first.build) ? first.build.intotoStatement : undefined;
  if (!isObj(inline)) throw new ProvenanceError('PROVENANCE_NOT_STATEMENT', 'Cloud Build provenance has neither an envelope nor an inline statement');
  return { statement: checkStatement(inline) };
}
