import {
  ChainwatchError,
  type CloudEvent,
  deterministicId,
  type Logger,
  makeEvent,
  type Workload,
  WorkloadChangedEvent,
  type WorkloadKind,
  workloadKey,
  WorkloadStartedEvent,
  WorkloadStoppedEvent,
} from '../../../core/index.js';
import { changeKey, describeObject } from './objects.js';
import type { ObjectRecord } from './snapshot.js';

/**
 * What one listed or watched object changes in a stream's records, and the workload event each
 * change publishes (the loop that applies them is stream.ts).
 */
export type Change =
  { type: 'started'; next: ObjectRecord } | { type: 'changed'; prev: ObjectRecord; next: ObjectRecord } | { type: 'stopped'; prev: ObjectRecord };

export interface ChangeContext {
  cluster: string;
  kind: WorkloadKind;
  stream: string;
  logger: Logger;
  counted(type: 'malformed'): void;
  now(): Date;
}

/** The changes one listed or watched object makes to the in-memory records (applied to `records` here). */
export function upsert(records: Map<string, ObjectRecord>, object: unknown, d: ChangeContext): Change[] {
  let described;
  try {
    described = describeObject(d.cluster, d.kind, object);
  } catch (err) {
    d.counted('malformed');
    d.logger.warn(
      { stream: d.stream, code: err instanceof ChainwatchError ? (err as ChainwatchError).code : undefined },
      'k8s watch: object without a readable pod spec',
    );
    return [];
  }
  if (described.badImages.length > 0) d.logger.warn({ stream: d.stream, badImages: described.badImages }, 'k8s watch: image references outside the grammar');
  const w = { ...described.workload, observedAt: d.now().toISOString() };
  const next: ObjectRecord = { workload: w, changeKey: changeKey(w) };
  const key = `${w.namespace}/${w.name}`;
  const prev = records.get(key);
  records.set(key, next);
  if (!prev) return [{ type: 'started', next }];
  if (prev.workload.uid !== w.uid)
    return [
      { type: 'stopped', prev },
      { type: 'started', next },
    ];
  if (prev.changeKey !== next.changeKey) return [{ type: 'changed', prev, next }];
  records.set(key, prev); // nothing that matters changed: keep the published state
  return [];
}

/** The workload event of one change, with a deterministic id. */
export function eventOf(c: Change, source: string, now: Date): CloudEvent<Workload> {
  const w = c.type === 'stopped' ? { ...c.prev.workload, observedAt: now.toISOString() } : c.next.workload;
  const spec = c.type === 'started' ? WorkloadStartedEvent : c.type === 'changed' ? WorkloadChangedEvent : WorkloadStoppedEvent;
  // Deterministic ids: a replay after a crash republishes the same ids (one uid starts and stops once).
  const id = deterministicId(w.cluster, w.uid, c.type, c.type === 'changed' ? w.resourceVersion : '');
  return makeEvent({ id, type: spec.type, source, subject: workloadKey(w), time: w.observedAt, data: w });
}
