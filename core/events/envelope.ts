import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EventError } from '../errors.js';

/**
 * CloudEvents 1.0 structured-mode JSON envelope, spec-exact:
 * required id/source/specversion/type; optional subject/time/datacontenttype/dataschema;
 * extension attribute names are lowercase a-z0-9 (spec section 3.1.1) with string/number/boolean values.
 * `type` is versioned and reverse-DNS: dev.chainwatch.<family>.<what>.v<N>.
 */
export const EVENT_TYPE_PATTERN = /^dev\.chainwatch\.[a-z0-9]+(\.[a-z0-9_]+)*\.v[0-9]+$/;
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const RESERVED = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64']);

export const envelopeSchema = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string().min(1),
    source: z.string().min(1),
    type: z.string().min(1),
    subject: z.string().min(1).optional(),
    time: z.iso.datetime({ offset: true }).optional(),
    datacontenttype: z.string().min(1).optional(),
    dataschema: z.string().min(1).optional(),
    data: z.unknown().optional(),
  })
  .catchall(z.union([z.string(), z.number(), z.boolean()]))
  .superRefine((ev, ctx) => {
    for (const key of Object.keys(ev)) {
      if (RESERVED.has(key)) continue;
      if (!EXTENSION_NAME.test(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'extension attribute names are 1-20 chars of a-z0-9' });
      }
    }
  });

export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: T;
  [extension: string]: unknown;
}

export interface NewEvent<T> {
  type: string;
  source: string;
  subject?: string;
  data: T;
  id?: string;
  time?: string | Date;
  extensions?: Record<string, string | number | boolean>;
}

/**
 * An event or finding id derived from what caused it, never random: delivery is at-least-once, so
 * the same cause must yield the same id for downstream dedup (sinks, audit) to see one event.
 */
export function deterministicId(...parts: (string | number)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p)).update('\0');
  return h.digest('hex').slice(0, 32);
}

/** Builds an envelope. Validation of `data` against the type's schema happens in the registry. */
export function makeEvent<T>(ev: NewEvent<T>): CloudEvent<T> {
  const time = ev.time instanceof Date ? ev.time.toISOString() : (ev.time ?? new Date().toISOString());
  const out: CloudEvent<T> = {
    specversion: '1.0',
    id: ev.id ?? randomUUID(),
    source: ev.source,
    type: ev.type,
    time,
    datacontenttype: 'application/json',
    data: ev.data,
  };
  if (ev.subject !== undefined) out.subject = ev.subject;
  for (const [k, v] of Object.entries(ev.extensions ?? {})) out[k] = v;
  return out;
}

const SHAPE_KEYS = ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data'] as const;
const SHAPE = new Set<string>(SHAPE_KEYS);
const timeSchema = z.iso.datetime({ offset: true });
// zod checks an ISO datetime with this one pattern; should a zod release hide it, ask zod itself.
const TIME_PATTERN = (timeSchema._zod.def as { pattern?: unknown }).pattern;
const timeOk = (s: string): boolean => (TIME_PATTERN instanceof RegExp ? TIME_PATTERN.test(s) : timeSchema.safeParse(s).success);

/**
 * The common case of envelopeSchema without zod's generic object walk (every event is checked at
 * publish and again at consume, so this is on the bus's per-event path). It only ever accepts
 * what envelopeSchema accepts and returns the same object zod would (shape keys in shape order,
 * then extensions in input order); anything unusual (undefined values, non-plain objects, any
 * failure) returns undefined and goes through zod, which stays the authority and words the error.
 */
function fastEnvelope(value: unknown): CloudEvent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  // Named property reads and assignments in one fixed order (not loops over key lists): every
  // output object then has the same hidden class, which is what makes this path cheap.
  const v = value as Record<string, unknown>;
  const { id, source, type, subject, time, datacontenttype, dataschema, data } = v;
  if (v.specversion !== '1.0' || !nonEmpty(id) || !nonEmpty(source) || !nonEmpty(type)) return undefined;
  if (!Object.hasOwn(v, 'specversion') || !Object.hasOwn(v, 'id') || !Object.hasOwn(v, 'source') || !Object.hasOwn(v, 'type')) return undefined;
  const out: Record<string, unknown> = { specversion: '1.0', id, source, type };
  let n = 4; // own keys of `v` accounted for
  // An own key whose value is undefined, or an inherited one, is left to zod (absent() fails).
  if (subject !== undefined) {
    if (!nonEmpty(subject) || !Object.hasOwn(v, 'subject')) return undefined;
    out.subject = subject;
    n++;
  } else if (!absent(v, 'subject')) return undefined;
  if (time !== undefined) {
    if (typeof time !== 'string' || !timeOk(time) || !Object.hasOwn(v, 'time')) return undefined;
    out.time = time;
    n++;
  } else if (!absent(v, 'time')) return undefined;
  if (datacontenttype !== undefined) {
    if (!nonEmpty(datacontenttype) || !Object.hasOwn(v, 'datacontenttype')) return undefined;
    out.datacontenttype = datacontenttype;
    n++;
  } else if (!absent(v, 'datacontenttype')) return undefined;
  if (dataschema !== undefined) {
    if (!nonEmpty(dataschema) || !Object.hasOwn(v, 'dataschema')) return undefined;
    out.dataschema = dataschema;
    n++;
  } else if (!absent(v, 'dataschema')) return undefined;
  if (data !== undefined) {
    if (!Object.hasOwn(v, 'data')) return undefined;
    out.data = data;
    n++;
  } else if (!absent(v, 'data')) return undefined;
  if (Object.hasOwn(v, 'data_base64')) return undefined;
  const keys = Object.keys(v);
  if (keys.length === n) return out as unknown as CloudEvent;
  // Extension attributes, in input order after the shape keys.
  for (const k of keys) {
    if (SHAPE.has(k)) continue;
    const x = v[k];
    if (!EXTENSION_NAME.test(k) || !(typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x)))) return undefined;
    out[k] = x;
  }
  return out as unknown as CloudEvent;
}

function nonEmpty(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0;
}

/** The key is neither own nor inherited (an own undefined or a polluted prototype is zod's to judge). */
function absent(v: Record<string, unknown>, k: string): boolean {
  return !(k in v);
}

/** Validates only the envelope (not the data) and returns it typed. */
export function parseEnvelope(value: unknown): CloudEvent {
  const fast = fastEnvelope(value);
  if (fast) return fast;
  const res = envelopeSchema.safeParse(value);
  if (!res.success) {
    throw new EventError('EVENT_INVALID_ENVELOPE', `invalid CloudEvents envelope: ${formatIssues(res.error.issues)}`);
  }
  return res.data;
}

export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
