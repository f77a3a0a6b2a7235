import { type NoteVerifier, parseCheckpoint, parseNote } from '../../../core/tlog/index.js';
import { fail } from './failure.js';

/** The witnesses `audit verify --witness-key` requires: at least `threshold` of `verifiers` must have cosigned. */
export interface WitnessPolicy {
  verifiers: readonly NoteVerifier[];
  threshold: number;
}

/**
 * Step 1b (with --witness-key): the latest checkpoint carries at least `threshold` valid
 * cosignatures of the required witnesses. The latest one is enough: it commits to every record
 * below its size, and steps 3 and 4 tie every earlier checkpoint and record to it; checkpoints
 * from before a witness was configured stay valid that way. A history rewritten and re-signed
 * with the local checkpoint key alone has no such cosignature (the witness refuses to cosign a
 * checkpoint that is not consistent with what it cosigned before). Any cosignature line of a
 * required witness that does not verify is a forgery.
 *
 * `notes`: the stored and the auditor's checkpoints, already verified by step 1. `records`: the
 * trail's size, so an emptied checkpoint table over records is not a pass.
 */
export function verifyWitnesses(notes: readonly string[], policy: WitnessPolicy, records: number): void {
  let latest = 0;
  let witnessedLatest = false;
  for (const text of notes) {
    const note = parseNote(text);
    const size = parseCheckpoint(note.text).size;
    const msg = Buffer.from(note.text, 'utf8');
    const by = new Set<NoteVerifier>();
    for (const s of note.signatures) {
      const candidates = policy.verifiers.filter((v) => v.name === s.name && v.keyHash.equals(s.keyHash));
      if (candidates.length === 0) continue;
      const ok = candidates.find((v) => v.verify(msg, s.sig));
      if (!ok) fail({ code: 'WITNESS_COSIGNATURE_INVALID', checkpointSize: size, detail: `the cosignature by witness ${s.name} does not verify` });
      else by.add(ok);
    }
    const met = by.size >= policy.threshold;
    if (size > latest) [latest, witnessedLatest] = [size, met];
    else if (size === latest) witnessedLatest ||= met;
  }
  if (records === 0 && latest === 0) return;
  if (!witnessedLatest) {
    fail({
      code: 'WITNESS_MISSING',
      ...(latest > 0 ? { checkpointSize: latest } : {}),
      detail:
        latest > 0
          ? `the latest checkpoint (size ${latest}) lacks ${policy.threshold} cosignature(s) of the required witnesses`
          : `no checkpoint over ${records} records carries a cosignature of the required witnesses`,
    });
  }
}
