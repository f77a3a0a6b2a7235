import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../core/index.js';
import { kafkaClientConfig } from './client-config.js';
import { kafkaBusConfigSchema } from './config.js';
import { KafkaBus } from './kafka-bus.js';

/**
 * The test broker runs without SASL or TLS, so the credentials mapping is checked here: the client
 * gets the password through a credential provider and the revealed TLS key, the bus' own config
 * keeps Secrets.
 */
const PASSWORD = 'sasl-password-8d2e';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIprivate\n-----END PRIVATE KEY-----';

describe('kafkaClientConfig', () => {
  it('hands the client the SASL password on demand, the revealed TLS key, and the durations in milliseconds', async () => {
    const c = kafkaBusConfigSchema.parse({
      brokers: ['127.0.0.1:9092'],
      sasl: { mechanism: 'scram-sha-256', username: 'chainwatch', password: new Secret(PASSWORD) },
      ssl: { ca: 'CA PEM', key: new Secret(KEY), servername: 'kafka.example' },
      connectionTimeout: '2s',
      requestTimeout: '45s',
    });
    const k = kafkaClientConfig(c);
    expect(k.sasl?.mechanism).toBe('SCRAM-SHA-256');
    expect(k.sasl?.username).toBe('chainwatch');
    const password = k.sasl?.password;
    expect(typeof password).toBe('function'); // never a plain string in the client's options
    expect(await (password as () => string | Promise<string>)()).toBe(PASSWORD);
    expect(k.tls).toEqual({ ca: 'CA PEM', key: KEY, servername: 'kafka.example', rejectUnauthorized: true });
    expect([k.connectTimeout, k.requestTimeout, k.timeout]).toEqual([2_000, 45_000, 45_000]);
    expect(k.bootstrapBrokers).toEqual(['127.0.0.1:9092']);
    expect(kafkaClientConfig(kafkaBusConfigSchema.parse({ brokers: ['b:1'], ssl: true })).tls).toEqual({});
    expect(kafkaClientConfig(kafkaBusConfigSchema.parse({ brokers: ['b:1'], ssl: false }))).not.toHaveProperty('tls');
    expect(kafkaClientConfig(kafkaBusConfigSchema.parse({ brokers: ['b:1'] }))).not.toHaveProperty('sasl');
    for (const [mechanism, wire] of [
      ['plain', 'PLAIN'],
      ['scram-sha-512', 'SCRAM-SHA-512'],
    ] as const) {
      const p = kafkaBusConfigSchema.parse({ brokers: ['b:1'], sasl: { mechanism, username: 'u', password: 'p' } });
      expect(kafkaClientConfig(p).sasl?.mechanism).toBe(wire);
    }
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
