import type { ArtifactVerified, CloudEvent, RekorEntry } from '../../core/index.js';
import { imageSubject } from '../../core/index.js';
import { type ProvenanceInput, readProvenanceValue } from './document.js';
import { ProvenanceError } from './errors.js';
import { SLSA_PREDICATES } from './normalize.js';

/**
 * What the detector takes from bus events: one ScoreInput per verified SLSA provenance.
 *
 * registry.artifact.verified carries the attestation's predicate (inline up to 64 KiB), not the
 * statement: the statement is rebuilt around it with the image (without its digest: the name a
 * package keeps across releases) as subject. Only attestations that are `verified` AND whose
 * statement names this digest (`subjectMatches`) are scored; others are skipped and counted.
 *
 * rekor.entry (dsse, intoto): the bodies the Rekor collector publishes are the log's canonical
 * bodies, which carry hashes of the payload and the signatures but not the statement (dsse
 * v0.0.1: payloadHash/envelopeHash; intoto v0.0.2: the envelope without payload). Such entries are
 * skipped with reason `rekor_no_payload`. An intoto body that does carry `content.envelope.payload`
 * is read like any DSSE envelope.
 */
export interface ScoreInput {
  /** Causing event id. */
  eventId: string;
  /** Finding subject: the image subject or the Rekor entry's subject. */
  subject: string;
  /** What the dedup key names besides the digest: the predicate type (or the Rekor uuid). */
  digest: string;
  predicateType: string;
  /** The document, or why it cannot be read. */
  input: ProvenanceInput | ProvenanceError;
}

export type SkipReason = 'unverified' | 'subject_mismatch' | 'rekor_no_payload';

export interface Extracted {
  inputs: ScoreInput[];
  skipped: SkipReason[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function fromArtifact(ev: CloudEvent, a: ArtifactVerified): Extracted {
  const out: Extracted = { inputs: [], skipped: [] };
  const [alg, hex] = a.image.digest.split(':') as [string, string];
  for (const att of a.attestations) {
    if (SLSA_PREDICATES[att.predicateType] === undefined) continue;
    if (!att.verified) {
      out.skipped.push('unverified');
      continue;
    }
    if (!att.subjectMatches) {
      out.skipped.push('subject_mismatch');
      continue;
    }
    const base = { eventId: ev.id, subject: imageSubject(a.image), digest: a.image.digest, predicateType: att.predicateType };
    if (att.predicate === undefined) {
      out.inputs.push({
        ...base,
        input: new ProvenanceError('PROVENANCE_NO_PAYLOAD', `predicate (${att.predicateBytes} bytes) was not carried inline by the event`),
      });
      continue;
    }
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: `${a.image.registry}/${a.image.repository}`, digest: { [alg]: hex } }],
      predicateType: att.predicateType,
      predicate: att.predicate,
    };
    let input: ProvenanceInput | ProvenanceError;
    try {
      input = { ...readProvenanceValue(statement), signer: att.signer, signedAt: att.signedAt ?? att.tlog?.integratedTime };
    } catch (e) {
      if (!(e instanceof ProvenanceError)) throw e;
      input = e;
    }
    out.inputs.push({ ...base, input });
  }
  return out;
}

export function fromRekor(ev: CloudEvent, r: RekorEntry): Extracted {
  if (r.kind !== 'dsse' && r.kind !== 'intoto') return { inputs: [], skipped: [] };
  const spec = isObj(r.body.spec) ? r.body.spec : {};
  const content = isObj(spec.content) ? spec.content : {};
  const env = content.envelope;
  if (!isObj(env) || typeof env.payload !== 'string' || env.payload === '') return { inputs: [], skipped: ['rekor_no_payload'] };
  let input: ProvenanceInput | ProvenanceError;
  let predicateType = 'unknown';
  try {
    const read = readProvenanceValue({ ...env, payloadType: env.payloadType ?? 'application/vnd.in-toto+json' });
    predicateType = String(read.statement.predicateType);
    // Not SLSA provenance (an SBOM, a vulnerability scan...): not ours to score.
    if (SLSA_PREDICATES[predicateType] === undefined) return { inputs: [], skipped: [] };
    input = { ...read, signer: r.signers[0], signedAt: r.integratedTime };
  } catch (e) {
    if (!(e instanceof ProvenanceError)) throw e;
    input = e;
  }
  return { inputs: [{ eventId: ev.id, subject: ev.subject ?? r.uuid, digest: ev.subject ?? r.uuid, predicateType, input }], skipped: [] };
}
