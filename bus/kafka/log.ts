import type { Base } from '@platformatic/kafka';
import type { Logger } from '../../core/index.js';
import type { KafkaBusConfig } from './config.js';

/** The fields of client event payloads we log (connection pool, group and heartbeat events). */
interface Payload {
  broker?: { host: string; port: number };
  groupId?: string;
  generationId?: number;
  error?: unknown;
}

const RANK = { error: 0, warn: 1, info: 2, debug: 3 } as const;
type Level = keyof typeof RANK;

/**
 * Routes a Kafka client's own events to the Logger port at the configured `logLevel`
 * (@platformatic/kafka has no logger hook: it emits events). Payloads are reduced to broker
 * addresses, group ids and error codes; the client never puts credentials into them.
 */
export function routeClientLogs(client: Base, logger: Logger, level: KafkaBusConfig['logLevel']): void {
  const log = logger.child({ component: 'kafka-client' });
  const on = (min: Level, event: string, fields: (p: Payload) => Record<string, unknown>): void => {
    if (RANK[min] > RANK[level]) return;
    client.on(event, (p: Payload) => log[min](fields(p ?? {}), event));
  };
  const broker = (p: Payload): Record<string, unknown> => ({ broker: p.broker ? `${p.broker.host}:${p.broker.port}` : undefined });
  const failure = (p: Payload): Record<string, unknown> => ({ group: p.groupId, error: errorCode(p.error) });
  on('warn', 'client:broker:failed', broker);
  on('info', 'client:broker:disconnect', broker);
  on('debug', 'client:broker:connect', broker);
  on('warn', 'consumer:heartbeat:error', failure);
  on('warn', 'consumer:group:autocommit:error', failure);
  on('info', 'consumer:group:join', (p) => ({ group: p.groupId, generation: p.generationId }));
  on('info', 'consumer:group:rebalance', (p) => ({ group: p.groupId }));
}

export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | null;
  return typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error';
}
