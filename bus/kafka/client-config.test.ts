import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret, silentLogger } from '../../core/index.js';
import { kafkaClientConfig } from './client-config.js';
import { kafkaBusConfigSchema } from './config.js';
import { KafkaBus } from './kafka-bus.js';

/**
 * The test broker runs without SASL or TLS, so the credentials mapping is checked here: kafkajs
 * gets the revealed values, the bus' own config keeps Secrets.
 */
const PASSWORD = 'sasl-password-8d2e';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIprivate\n-----END PRIVATE KEY-----';

describe('kafkaClientConfig', () => {
  it('hands kafkajs the revealed SASL password and TLS key, and the durations in milliseconds', () => {
    const c = kafkaBusConfigSchema.parse({
      brokers: ['127.0.0.1:9092'],
      sasl: { mechanism: 'scram-sha-256', username: 'chainwatch', password: new Secret(PASSWORD) },
      ssl: { ca: 'CA PEM', key: new Secret(KEY), servername: 'kafka.example' },
      connectionTimeout: '2s',
      requestTimeout: '45s',
    });
    const k = kafkaClientConfig(c, silentLogger);
    expect(k.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'chainwatch', password: PASSWORD });
    expect(k.ssl).toEqual({ ca: 'CA PEM', key: KEY, servername: 'kafka.example', rejectUnauthorized: true });
    expect([k.connectionTimeout, k.requestTimeout]).toEqual([2_000, 45_000]);
    expect(kafkaClientConfig(kafkaBusConfigSchema.parse({ brokers: ['b:1'], ssl: true }), silentLogger).ssl).toBe(true);
    expect(kafkaClientConfig(kafkaBusConfigSchema.parse({ brokers: ['b:1'] }), silentLogger)).not.toHaveProperty('sasl');
  });

  it('keeps the credentials out of the bus config as printed, serialised or inspected', () => {
    const bus = new KafkaBus({
      brokers: ['127.0.0.1:9092'],
      sasl: { mechanism: 'plain', username: 'chainwatch', password: PASSWORD },
      ssl: { key: KEY },
    });
    for (const text of [JSON.stringify(bus.config), inspect(bus.config, { depth: 10 }), String(bus.config.sasl?.password)]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('MIIprivate');
    }
  });
});
