import { canonicalJson, MAX_INLINE_PREDICATE_BYTES } from '../../core/index.js';
import { sha256hex } from './crypto.js';
import { OciTrustError } from './errors.js';
import { summarizePredicate } from './predicate.js';

/** in-toto Statement v1 (and v0.1, same shape for what we read). */
export interface Statement {
  predicateType: string;
  subjects: { name?: string; digest: Record<string, string> }[];
  predicate: unknown;
}

export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1']);

export function parseStatement(payload: Buffer): Statement {
  let raw: { _type?: unknown; subject?: unknown; predicateType?: unknown; predicate?: unknown };
  try {
    raw = JSON.parse(payload.toString('utf8')) as typeof raw;
  } catch (err) {
    throw new OciTrustError('PAYLOAD_MALFORMED', 'DSSE payload is not JSON', err);
  }
  if (typeof raw._type !== 'string' || !STATEMENT_TYPES.has(raw._type))
    throw new OciTrustError('PAYLOAD_MALFORMED', 'DSSE payload is not an in-toto statement');
  if (typeof raw.predicateType !== 'string' || raw.predicateType.length === 0 || raw.predicateType.length > 512) {
    throw new OciTrustError('PAYLOAD_MALFORMED', 'in-toto statement has no usable predicateType');
  }
  const subjects = Array.isArray(raw.subject)
    ? raw.subject.flatMap((s: unknown) => {
        const o = s as { name?: unknown; digest?: unknown } | null;
        if (!o || typeof o.digest !== 'object' || o.digest === null) return [];
        const digest = Object.fromEntries(Object.entries(o.digest).filter((e): e is [string, string] => typeof e[1] === 'string'));
        return [{ ...(typeof o.name === 'string' ? { name: o.name } : {}), digest }];
      })
    : [];
  return { predicateType: raw.predicateType, subjects, predicate: raw.predicate ?? null };
}

/** Does a subject name this image digest ("sha256:<hex>")? */
export function subjectMatches(statement: Statement, imageDigest: string): boolean {
  const [alg, hex] = imageDigest.split(':');
  return statement.subjects.some((s) => alg !== undefined && s.digest[alg]?.toLowerCase() === hex);
}

/** A subject digest to bind the signature check to ("<alg>:<hex>"), preferring the image's. */
export function bindingDigest(statement: Statement, imageDigest: string): string {
  if (subjectMatches(statement, imageDigest)) return imageDigest;
  for (const s of statement.subjects) for (const [alg, hex] of Object.entries(s.digest)) if (/^sha(256|384|512)$/.test(alg)) return `${alg}:${hex}`;
  throw new OciTrustError('SUBJECT_MISMATCH', 'the in-toto statement names no sha256/384/512 subject');
}

/** The predicate fields of a FoundAttestation. */
export function predicateFields(statement: Statement): {
  predicateType: string;
  predicateSha256: string;
  predicateBytes: number;
  predicate?: unknown;
  summary: Record<string, unknown>;
} {
  let canonical: string;
  try {
    canonical = canonicalJson(statement.predicate);
  } catch (err) {
    throw new OciTrustError('PAYLOAD_MALFORMED', 'the predicate cannot be canonicalised', err);
  }
  const bytes = Buffer.byteLength(canonical);
  return {
    predicateType: statement.predicateType,
    predicateSha256: sha256hex(Buffer.from(canonical)),
    predicateBytes: bytes,
    ...(bytes <= MAX_INLINE_PREDICATE_BYTES ? { predicate: statement.predicate } : {}),
    summary: summarizePredicate(statement.predicateType, statement.predicate),
  };
}
