import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (the scheme Stripe and Slack use, so receivers know it):
 *
 *   X-Chainwatch-Timestamp: <unix seconds>
 *   X-Chainwatch-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * Binding the timestamp into the MAC stops an attacker from replaying an old body with a fresh
 * timestamp; rejecting timestamps older than a tolerance bounds how long a captured request can
 * be replayed; and dedup on X-Chainwatch-Notification-Id (also sent as Idempotency-Key) within
 * that tolerance closes the remaining window. Verify over the RAW bytes, before JSON parsing.
 */
export const SIGNATURE_HEADER = 'x-chainwatch-signature';
export const TIMESTAMP_HEADER = 'x-chainwatch-timestamp';

export function signWebhook(body: string | Uint8Array, secret: string | Uint8Array, timestampSec: number): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestampSec}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

export type SignatureCheck = { ok: true; timestampSec: number } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(h: HeaderBag, name: string): string | undefined {
  if (h instanceof Headers) return h.get(name) ?? undefined;
  const v = h[name] ?? Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * For receivers: checks the signature of a raw request body. An outcome, not an exception,
 * so the receiver decides what to log; answer 401 on anything but `ok`.
 * `toleranceSec` bounds clock skew and replay age in both directions (300 is customary).
 */
export function verifyWebhookSignature(
  body: string | Uint8Array,
  headers: HeaderBag,
  secret: string | Uint8Array,
  toleranceSec = 300,
  nowSec: number = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const ts = header(headers, TIMESTAMP_HEADER);
  const sig = header(headers, SIGNATURE_HEADER);
  if (!ts || !sig) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(ts) || !/^sha256=[0-9a-f]{64}$/.test(sig)) return { ok: false, reason: 'malformed' };
  const timestampSec = Number(ts);
  if (Math.abs(nowSec - timestampSec) > toleranceSec) return { ok: false, reason: 'stale' };
  const want = Buffer.from(signWebhook(body, secret, timestampSec));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: 'mismatch' };
  return { ok: true, timestampSec };
}
