import type { KafkaConfig } from 'kafkajs';
import type { Logger } from '../../core/index.js';
import type { KafkaBusConfig } from './config.js';
import { KAFKAJS_LEVELS, kafkaLogCreator } from './log.js';

/**
 * The kafkajs client options of a bus config. The SASL password and the TLS private key are
 * revealed here and only here: they leave the process on the wire (SASL handshake, TLS), never in
 * the bus' config, logs or errors.
 */
export function kafkaClientConfig(c: KafkaBusConfig, logger: Logger): KafkaConfig {
  const ssl = typeof c.ssl === 'object' ? (({ key, ...tls }) => ({ ...tls, ...(key ? { key: key.reveal() } : {}) }))(c.ssl) : c.ssl;
  return {
    clientId: c.clientId,
    brokers: c.brokers,
    ...(ssl !== undefined ? { ssl } : {}),
    ...(c.sasl !== undefined ? { sasl: { ...c.sasl, password: c.sasl.password.reveal() } } : {}),
    connectionTimeout: c.connectionTimeout,
    requestTimeout: c.requestTimeout,
    logLevel: KAFKAJS_LEVELS[c.logLevel],
    logCreator: kafkaLogCreator(logger),
    // kafkajs' retrier only smooths over a leader move within one call; outages are paced by
    // core/retry.ts around whole calls (publish, connect), so callers see a bounded wait.
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
  };
}
