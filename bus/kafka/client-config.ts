import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { type BaseOptions, type ConsumerOptions, type SASLOptions, stringDeserializer } from '@platformatic/kafka';
import type { KafkaBusConfig } from './config.js';

/** SASL mechanism names of our config, as @platformatic/kafka spells them. */
const MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/**
 * The connection options every @platformatic/kafka client of one bus shares (producer, admin, each
 * subscription's consumer). The SASL password is handed over as a credential provider, so the
 * client asks for it at handshake time and never holds the plain value in its options; the TLS
 * private key is revealed here and only here, into the socket options. Neither appears in the bus'
 * config, logs or errors.
 */
export function kafkaClientConfig(c: KafkaBusConfig, clientId = c.clientId): BaseOptions {
  const tls = tlsOptions(c);
  const sasl = c.sasl;
  return {
    clientId,
    bootstrapBrokers: c.brokers,
    ...(tls ? { tls } : {}),
    ...(sasl ? { sasl: { mechanism: MECHANISMS[sasl.mechanism], username: sasl.username, password: () => sasl.password.reveal() } satisfies SASLOptions } : {}),
    connectTimeout: c.connectionTimeout,
    requestTimeout: c.requestTimeout,
    timeout: c.requestTimeout,
    // The client's own retrier only smooths over a leader move or a dropped connection within one
    // call; outages are paced by core/retry.ts around whole calls (publish, connect, subscribe), so
    // callers see a bounded wait. (An idempotent producer turns retries <= 1 into "forever".)
    retries: 2,
    retryDelay: 250,
    // Topics are created by TopicAdmin with the configured partitions; never by a metadata request.
    autocreateTopics: false,
  };
}

/** A subscription's group member: manual commits only, string keys and headers, value bytes. */
export function kafkaConsumerConfig(c: KafkaBusConfig, groupId: string): ConsumerOptions<string, Buffer, string, string> {
  return {
    ...kafkaClientConfig(c),
    groupId,
    sessionTimeout: c.sessionTimeout,
    heartbeatInterval: c.heartbeatInterval,
    rebalanceTimeout: Math.max(c.sessionTimeout, 60_000),
    autocommit: false,
    // Short broker-side wait keeps stop() and the first fetch after join quick; fetches return as
    // soon as data exists anyway.
    maxWaitTime: 500,
    // Records the stream buffers ahead of the handlers; its fetch loop stops beyond it.
    highWaterMark: Math.max(c.maxInFlight, 256),
    deserializers: { key: stringDeserializer, headerKey: stringDeserializer, headerValue: stringDeserializer },
  };
}

function tlsOptions(c: KafkaBusConfig): TlsOptions | undefined {
  if (c.ssl === undefined || c.ssl === false) return undefined;
  if (c.ssl === true) return {};
  const { key, ...rest } = c.ssl;
  return { ...rest, ...(key ? { key: key.reveal() } : {}) };
}
