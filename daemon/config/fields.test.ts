import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, Secret } from '../../core/index.js';
import { createLogger } from '../logger.js';
import { loadConfig } from './load.js';

/** The loader's schema-driven pass: secret fields, found by their schema, not their name. */
function file(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'cw-fields-')), 'chainwatch.yaml');
  writeFileSync(p, text);
  return p;
}
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  return expect.unreachable('expected a ConfigError');
}

const KAFKA_PW = 'kafka-sasl-pw-7f3a';
const SEARCH_PW = 'opensearch-pw-91c2';
const HOOK = 'https://hooks.example/services/T0/B1/webhook-tok3n-55';
const PD_KEY = 'pd-routing-key-0a1b2c3d';
const secretsFile = (): string =>
  file(`bus:
  kind: kafka
  kafka:
    brokers: ["127.0.0.1:9092"]
    sasl: { mechanism: scram-sha-512, username: chainwatch, password: { env: KAFKA_PW } }
sinks:
  audit:
    backend: { kind: opensearch, url: "http://127.0.0.1:9200", username: chainwatch, password: { env: SEARCH_PW } }
  alerts:
    receivers:
      - { name: hook, kind: webhook, webhookUrl: { env: HOOK } }
      - { name: pager, kind: pagerduty, routingKey: "${PD_KEY}" }
`);
const secretsEnv = { KAFKA_PW, SEARCH_PW, HOOK };

describe('secret fields', () => {
  it('resolves every field whose schema is a secret into a Secret, through unions, arrays and discriminated receivers', () => {
    const { config, redactor } = loadConfig({ file: secretsFile(), env: secretsEnv });
    const kafka = config.bus.kafka!;
    expect(kafka.sasl?.password).toBeInstanceOf(Secret);
    expect(kafka.sasl?.password.reveal()).toBe(KAFKA_PW);
    const backend = config.sinks.audit.backend;
    expect(backend.kind === 'opensearch' && backend.password?.reveal()).toBe(SEARCH_PW);
    const [hook, pager] = config.sinks.alerts!.receivers;
    expect(hook?.kind === 'webhook' && hook.webhookUrl.reveal()).toBe(HOOK);
    expect(pager?.kind === 'pagerduty' && pager.routingKey.reveal()).toBe(PD_KEY);
    for (const s of [KAFKA_PW, SEARCH_PW, HOOK, PD_KEY]) expect(redactor.redact(`x ${s} y`)).toBe('x [REDACTED] y');
  });

  it('never shows a secret in JSON.stringify or inspect of the config, in log lines, or in config errors', () => {
    const { config, redactor } = loadConfig({ file: secretsFile(), env: secretsEnv });
    const lines: string[] = [];
    const log = createLogger('info', redactor, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    // A careless log call: the whole config, and a message that quotes a revealed value.
    log.info({ config }, 'started');
    log.error({ err: `connect to ${HOOK} failed` }, `auth failed for ${KAFKA_PW}`);
    const bad = file(
      `bus:\n  kind: kafka\n  kafka:\n    brokers: ["not a broker"]\n    sasl: { mechanism: plain, username: u, password: { env: KAFKA_PW } }\n`,
    );
    const err = configError(() => loadConfig({ file: bad, env: secretsEnv }));
    const texts = [JSON.stringify(config), inspect(config, { depth: 20 }), lines.join(''), err.message, JSON.stringify(err.issues)];
    for (const text of texts) for (const s of [KAFKA_PW, SEARCH_PW, HOOK, 'webhook-tok3n-55', PD_KEY]) expect(text).not.toContain(s);
  });

  it('lets CHAINWATCH_* variables set nested secret fields, taken verbatim', () => {
    const { config, redactor } = loadConfig({
      env: {
        CHAINWATCH_BUS__KIND: 'kafka',
        CHAINWATCH_BUS__KAFKA__BROKERS: '127.0.0.1:9092',
        CHAINWATCH_BUS__KAFKA__SASL__MECHANISM: 'plain',
        CHAINWATCH_BUS__KAFKA__SASL__USERNAME: 'chainwatch',
        // Digits only: must stay a string, not become the number 123456.
        CHAINWATCH_BUS__KAFKA__SASL__PASSWORD: '00123456',
        CHAINWATCH_BUS__KAFKA__SSL__KEY: '-----BEGIN PRIVATE KEY-----\nMIIenv\n-----END PRIVATE KEY-----',
      },
    });
    const kafka = config.bus.kafka!;
    expect(kafka.sasl?.mechanism).toBe('plain');
    expect(kafka.sasl?.password).toBeInstanceOf(Secret);
    expect(kafka.sasl?.password.reveal()).toBe('00123456');
    expect(typeof kafka.ssl === 'object' && kafka.ssl.key?.reveal()).toContain('MIIenv');
    expect(redactor.redact('pw 00123456')).toBe('pw [REDACTED]');
  });

  it('resolves references only where the schema expects a secret, whatever the key is called', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-ref-'));
    writeFileSync(join(dir, 'key.pem'), '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n');
    // `publicKey` is not a secret (a log's public key): a file reference there is a config error.
    const notSecret = file(`collectors:\n  rekor:\n    - url: https://rekor.example\n      publicKey: { file: ${join(dir, 'key.pem')} }\n`);
    expect(configError(() => loadConfig({ file: notSecret, env: {} })).issues.map((i) => i.path)).toEqual(['collectors.rekor.0.publicKey']);
    // `key` under ssl is one (the TLS private key), found by its schema, not by a special case.
    const tlsKey = file(`bus:\n  kind: kafka\n  kafka:\n    brokers: ["127.0.0.1:9092"]\n    ssl: { key: { file: ${join(dir, 'key.pem')} } }\n`);
    const { config } = loadConfig({ file: tlsKey, env: {} });
    expect(typeof config.bus.kafka?.ssl === 'object' && config.bus.kafka.ssl.key).toBeInstanceOf(Secret);
  });

  it('reports an unreadable secret reference with its path and code', () => {
    const f = file('sinks:\n  alerts:\n    receivers:\n      - { name: hook, kind: webhook, webhookUrl: { env: NOT_SET_ANYWHERE } }\n');
    const err = configError(() => loadConfig({ file: f, env: {} }));
    expect(err.code).toBe('CONFIG_SECRET_UNREADABLE');
    expect(err.issues.map((i) => i.path)).toEqual(['sinks.alerts.receivers.0.webhookUrl']);
  });
});
