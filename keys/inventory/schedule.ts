import { createHash } from 'node:crypto';
import { type CloudEvent, type KeyRotationSchedule, KeyRotationScheduleEvent, makeEvent } from '../../core/index.js';
import type { InventoryProblem, KeyEntry } from './inventory.js';

/**
 * The rotation schedule the inventory publishes (dev.chainwatch.keys.rotation_schedule.v1): every
 * merged entry with a rotation date, with its state and the place it was read. cert-expiry turns it
 * into inventory items and pages as the dates near; a place with a problem (a token down, a PEM file
 * missing) is listed as such so that the consumer keeps what it had from there instead of resolving.
 */
const SCHEDULE_SOURCE = 'chainwatch://keys/inventory';

export function rotationSchedule(entries: readonly KeyEntry[], problems: readonly InventoryProblem[]): KeyRotationSchedule {
  const keys = entries
    .filter((e): e is KeyEntry & { rotationDue: string; origin: string } => e.rotationDue !== undefined && e.origin !== undefined)
    .map((e) => ({
      id: e.id,
      origin: e.origin,
      kind: e.kind,
      ...(e.name ? { name: e.name } : {}),
      ...(e.owner ? { owner: e.owner } : {}),
      state: e.state,
      rotationDue: e.rotationDue,
      ...(e.location ? { location: e.location } : {}),
      ...(e.algorithm ? { algorithm: e.algorithm } : {}),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { keys, problems: problems.map((p) => ({ origin: p.origin, code: p.code, message: p.message })) };
}

/** A stable fingerprint of a schedule: publish only when it changed. */
export function scheduleFingerprint(s: KeyRotationSchedule): string {
  return createHash('sha256').update(JSON.stringify(s)).digest('hex');
}

export function scheduleEvent(s: KeyRotationSchedule, now: Date): CloudEvent<KeyRotationSchedule> {
  return makeEvent({ type: KeyRotationScheduleEvent.type, source: SCHEDULE_SOURCE, subject: 'keys:inventory', time: now, data: s });
}
