import type { z } from 'zod';
import { EventError } from '../errors.js';
import { type CloudEvent, EVENT_TYPE_PATTERN, formatIssues, parseEnvelope } from './envelope.js';

/**
 * Event families map one-to-one onto bus topics (`chainwatch.<family>`), so that one subject's
 * events stay ordered within a family and consumers subscribe by family.
 */
export const EVENT_FAMILIES = ['system', 'rekor', 'tlog', 'ct', 'registry', 'k8s', 'keys', 'provenance', 'findings', 'audit'] as const;
export type EventFamily = (typeof EVENT_FAMILIES)[number];

const TOPICS = new Map<string, string>(EVENT_FAMILIES.map((f) => [f, `chainwatch.${f}`]));

/** The topic of a family (precomputed: publishers ask once per event). */
export function topicFor(family: EventFamily): string {
  return TOPICS.get(family) ?? `chainwatch.${family}`;
}
/** Dead-letter topic of a topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export interface EventTypeSpec<S extends z.ZodType = z.ZodType> {
  type: string;
  family: EventFamily;
  /** One line for docs/events.md. */
  description: string;
  /** What `subject` names for this type (e.g. "artifact digest sha256:..."). */
  subject: string;
  schema: S;
}

const registry = new Map<string, EventTypeSpec>();

export function defineEventType<S extends z.ZodType>(spec: EventTypeSpec<S>): EventTypeSpec<S> {
  if (!EVENT_TYPE_PATTERN.test(spec.type)) throw new Error(`bad event type name ${spec.type}`);
  if (registry.has(spec.type)) throw new Error(`event type ${spec.type} defined twice`);
  registry.set(spec.type, spec);
  return spec;
}

export function eventTypes(): EventTypeSpec[] {
  return [...registry.values()].sort((a, b) => a.type.localeCompare(b.type));
}
export function lookupEventType(type: string): EventTypeSpec | undefined {
  return registry.get(type);
}

/**
 * Validates a whole event at a boundary: envelope, known type, data against the type's schema.
 * Returns the event with parsed (defaults applied) data. Throws EventError with a precise code.
 */
export function validateEvent(value: unknown): CloudEvent {
  const ev = parseEnvelope(value);
  const spec = registry.get(ev.type);
  if (!spec) throw new EventError('EVENT_UNKNOWN_TYPE', `unknown event type ${JSON.stringify(ev.type).slice(0, 120)}`);
  const res = spec.schema.safeParse(ev.data);
  if (!res.success) {
    throw new EventError('EVENT_INVALID_DATA', `invalid data for ${ev.type}: ${formatIssues(res.error.issues)}`);
  }
  // parseEnvelope returned a fresh object (its own or zod's): set the parsed data in place rather
  // than copying the envelope again (same keys, same order as a spread).
  ev.data = res.data;
  return ev;
}

export const MAX_EVENT_BYTES = 1024 * 1024;

/** Decodes bytes from the wire into a validated event. */
export function decodeEvent(bytes: Uint8Array | string): CloudEvent {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > MAX_EVENT_BYTES) throw new EventError('EVENT_TOO_LARGE', `event of ${size} bytes exceeds ${MAX_EVENT_BYTES}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof bytes === 'string' ? bytes : utf8(bytes));
  } catch (err) {
    throw new EventError('EVENT_MALFORMED_JSON', 'event is not valid JSON', { cause: err });
  }
  return validateEvent(parsed);
}

/** The text of UTF-8 bytes without copying them (a Buffer decodes itself; other views get a Buffer view). */
function utf8(bytes: Uint8Array): string {
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');
}

export function encodeEvent(ev: CloudEvent): Buffer {
  try {
    return Buffer.from(JSON.stringify(ev));
  } catch (err) {
    // JSON.parse takes nesting that JSON.stringify's recursion cannot (5,000 levels): the event
    // is at fault, not the bus, so say so with a code instead of a bare RangeError.
    if (err instanceof RangeError) throw new EventError('EVENT_TOO_DEEP', 'event nests too deeply to encode', { cause: err });
    throw err;
  }
}

/** The family (and so the topic) an event belongs to; unknown types throw EVENT_UNKNOWN_TYPE. */
export function familyOf(type: string): EventFamily {
  const spec = registry.get(type);
  if (!spec) throw new EventError('EVENT_UNKNOWN_TYPE', `unknown event type ${JSON.stringify(type).slice(0, 120)}`);
  return spec.family;
}
