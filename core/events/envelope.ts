import { randomUUID } from 'node:crypto';
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

const SHAPE = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data']);
const timeSchema = z.iso.datetime({ offset: true });
const nonEmpty = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const optionalNonEmpty = (v: unknown): boolean => v === undefined || nonEmpty(v);

/**
 * The envelope schema's rules written out, for the bus' hot path (every publish and every consumed
 * record): true only when envelopeSchema would accept `value` (same rules, the same datetime check);
 * anything else goes through the schema, which gives the error. Pinned against the schema by
 * envelope.test.ts (generated envelopes, both answers compared).
 */
export function isPlainValidEnvelope(value: unknown): value is CloudEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const ev = value as Record<string, unknown>;
  if (ev.specversion !== '1.0' || !nonEmpty(ev.id) || !nonEmpty(ev.source) || !nonEmpty(ev.type)) return false;
  if (!optionalNonEmpty(ev.subject) || !optionalNonEmpty(ev.datacontenttype) || !optionalNonEmpty(ev.dataschema)) return false;
  if (ev.time !== undefined && !timeSchema.safeParse(ev.time).success) return false;
  for (const key in ev) {
    if (SHAPE.has(key)) continue;
    const v = ev[key];
    if (!(typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) return false;
    if (!RESERVED.has(key) && !EXTENSION_NAME.test(key)) return false;
  }
  return true;
}

/** Validates only the envelope (not the data) and returns it typed. */
export function parseEnvelope(value: unknown): CloudEvent {
  if (isPlainValidEnvelope(value)) return value;
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
