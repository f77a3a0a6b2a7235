import { ArtifactVerifiedEvent, type ArtifactVerified, type CloudEvent, type RekorEntry, RekorEntryEvent } from '../../core/index.js';
import { ProvenanceError } from './errors.js';
import { extractFeatures, FEATURE_SCHEMA_VERSION, FEATURES } from './features.js';
import { contextFor, MemoryHistoryStore, recordRelease } from './history.js';
import { type Extracted, fromArtifact, fromRekor } from './inputs.js';
import { normalizeProvenance } from './normalize.js';

/**
 * The training input of tools/model/train.py: JSON Lines, first a header
 * {"schemaVersion", "featureNames"}, then one {"features": [...]} per document (rounded to 1e-6,
 * so the file and its SHA-256 in the model metadata do not depend on float printing).
 */
export function featureLines(rows: readonly Float32Array[]): string {
  const header = JSON.stringify({ schemaVersion: FEATURE_SCHEMA_VERSION, featureNames: FEATURES });
  return [header, ...rows.map((f) => JSON.stringify({ features: Array.from(f, (v) => Math.round(v * 1e6) / 1e6) }))].join('\n') + '\n';
}

export interface Replayed {
  /** Feature vectors of the documents to learn from. */
  rows: Float32Array[];
  /** Scoreable documents seen (rows + excluded). */
  documents: number;
  /** Documents left out because a provenance finding was raised for their event. */
  excluded: number;
  /** Verified SLSA attestations that could not be read (the detector's "not scored"). */
  unreadable: number;
  /** Distinct source repositories. */
  repositories: number;
}

const extract = (ev: CloudEvent): Extracted => {
  switch (ev.type) {
    case ArtifactVerifiedEvent.type:
      return fromArtifact(ev, ev.data as ArtifactVerified);
    case RekorEntryEvent.type:
      return fromRekor(ev, ev.data as RekorEntry);
    default:
      return { inputs: [], skipped: [] };
  }
};

/**
 * Replays recorded events in their recorded order through the detector's own steps (inputs ->
 * normalise -> history context -> features -> history update), so every vector is what the
 * detector computed, or would have, at that point of the history. Events a provenance finding
 * was raised for still become history (as in the detector) but are not learnt as normal; an
 * event recorded twice counts once.
 */
export async function replayForTraining(events: Iterable<CloudEvent>, flagged: ReadonlySet<string>, trusted: readonly string[] = []): Promise<Replayed> {
  const history = new MemoryHistoryStore();
  const seen = new Set<string>();
  const out: Replayed = { rows: [], documents: 0, excluded: 0, unreadable: 0, repositories: 0 };
  for (const ev of events) {
    if (seen.has(ev.id)) continue;
    seen.add(ev.id);
    for (const src of extract(ev).inputs) {
      if (src.input instanceof ProvenanceError) {
        out.unreadable++;
        continue;
      }
      let provenance;
      try {
        provenance = normalizeProvenance(src.input);
      } catch (e) {
        if (!(e instanceof ProvenanceError)) throw e;
        out.unreadable++;
        continue;
      }
      const ctx = await contextFor(history, provenance);
      const features = extractFeatures(provenance, ctx, trusted);
      await recordRelease(history, provenance, ctx);
      out.documents++;
      if (flagged.has(ev.id)) out.excluded++;
      else out.rows.push(features);
    }
  }
  out.repositories = Object.keys(history.repos).length;
  return out;
}
