import type { Message } from '@platformatic/kafka';
import type { RawBusRecord } from '../../core/index.js';

/** A consumed record as the stream delivers it: string key and headers, value bytes. */
export type Msg = Message<string, Buffer, string, string>;

/** Waits for `p`, at most `ms` (stop() must end even when the broker does not answer). */
export async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export function toRaw(topic: string, m: Msg): RawBusRecord {
  const headers: Record<string, string> = {};
  // Most records carry none: skip the Map iterator then (this runs per consumed record).
  if (m.headers.size > 0) for (const [k, v] of m.headers) if (k !== undefined && v !== undefined) headers[k] = v;
  return {
    topic,
    partition: m.partition,
    offset: m.offset.toString(),
    key: m.key ?? '',
    headers,
    value: m.value ?? Buffer.alloc(0),
    timestampMs: Number(m.timestamp),
  };
}
