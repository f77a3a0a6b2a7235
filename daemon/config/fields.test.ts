import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, Secret } from '../../core/index.js';
import { createLogger } from '../logger.js';
import { embeddedBusModule } from '../../bus/embedded/module.js';
import { kafkaBusModule } from '../../bus/kafka/module.js';
import { rekorModule } from '../../collectors/rekor/module.js';
import { logIntegrityModule } from '../../detectors/log-integrity/module.js';
import { auditModule } from '../../sinks/audit/module.js';
import { alertsModule } from '../registry.js';
import { loadConfig } from './load.js';
import { busSectionOf, sectionOf } from './schema.js';

/** The loader's schema-driven passes: secret fields (found by their schema, not their name) and durations. */
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
    const kafka = busSectionOf(config, kafkaBusModule)!;
    expect(kafka.sasl?.password).toBeInstanceOf(Secret);
    expect(kafka.sasl?.password.reveal()).toBe(KAFKA_PW);
    const backend = sectionOf(config, auditModule).backend;
    expect(backend.kind === 'opensearch' && backend.password?.reveal()).toBe(SEARCH_PW);
    const [hook, pager] = sectionOf(config, alertsModule)!.receivers;
    // Receiver sections are typed by their own modules; the pipeline's list is generic over them.
    expect(hook?.kind === 'webhook' && (hook.webhookUrl as Secret).reveal()).toBe(HOOK);
    expect(pager?.kind === 'pagerduty' && (pager.routingKey as Secret).reveal()).toBe(PD_KEY);
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
    const kafka = busSectionOf(config, kafkaBusModule)!;
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
    const ssl = busSectionOf(config, kafkaBusModule)?.ssl;
    expect(typeof ssl === 'object' && ssl.key).toBeInstanceOf(Secret);
  });

  it('reports an unreadable secret reference with its path and code', () => {
    const f = file('sinks:\n  alerts:\n    receivers:\n      - { name: hook, kind: webhook, webhookUrl: { env: NOT_SET_ANYWHERE } }\n');
    const err = configError(() => loadConfig({ file: f, env: {} }));
    expect(err.code).toBe('CONFIG_SECRET_UNREADABLE');
    expect(err.issues.map((i) => i.path)).toEqual(['sinks.alerts.receivers.0.webhookUrl']);
  });
});

const LOG_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('durations', () => {
  it('reads the string convention into milliseconds, without warnings', () => {
    const f = file(
      'shutdown:\n  deadline: 20s\nsupervisor:\n  minBackoff: 250ms\n  maxBackoff: 2m\nbus:\n  embedded:\n    retention: { maxAge: 3d, checkInterval: 1.5m }\n',
    );
    const { config, warnings } = loadConfig({ file: f, env: {} });
    expect(config.shutdown.deadline).toBe(20_000);
    expect(config.supervisor).toEqual({ minBackoff: 250, maxBackoff: 120_000 });
    expect(busSectionOf(config, embeddedBusModule).retention.maxAge).toBe(3 * 86_400_000);
    expect(busSectionOf(config, embeddedBusModule).retention.checkInterval).toBe(90_000);
    expect(warnings).toEqual([]);
    expect(loadConfig({ env: {} }).warnings).toEqual([]);
  });

  it('renames a legacy fooMs (or fooHours, fooDays) key to foo with a warning naming its full path, wherever the schema has a duration', () => {
    const f = file(`bus:
  embedded:
    pollIntervalMs: 100
    retention: { maxAgeHours: 2 }
collectors:
  rekor:
    - { url: "https://rekor.example", publicKey: ${JSON.stringify(LOG_KEY)}, pollIntervalMs: 30000 }
sinks:
  audit:
    backend: { kind: opensearch, url: "http://127.0.0.1:9200", retentionDays: 400, requestTimeoutMs: 10000 }
`);
    const { config, warnings } = loadConfig({ file: f, env: {} });
    expect(busSectionOf(config, embeddedBusModule).pollInterval).toBe(100);
    expect(busSectionOf(config, embeddedBusModule).retention.maxAge).toBe(7_200_000);
    expect(sectionOf(config, rekorModule)[0]!.pollInterval).toBe(30_000);
    const backend = sectionOf(config, auditModule).backend;
    expect(backend.kind === 'opensearch' && [backend.retention, backend.requestTimeout]).toEqual([400 * 86_400_000, 10_000]);
    expect(warnings.map((w) => w.path)).toEqual([
      'bus.embedded.pollIntervalMs',
      'bus.embedded.retention.maxAgeHours',
      'collectors.rekor.0.pollIntervalMs',
      'sinks.audit.backend.retentionDays',
      'sinks.audit.backend.requestTimeoutMs',
    ]);
  });

  it('reads a bare number where a duration is expected as milliseconds, with a warning (records and nested objects too)', () => {
    const f = file('shutdown:\n  deadline: 5000\ndetectors:\n  logIntegrity:\n    stale: { after: 1h, perOrigin: { quiet.example: 600000 } }\n');
    const { config, warnings } = loadConfig({ file: f, env: {} });
    expect(config.shutdown.deadline).toBe(5_000);
    expect(sectionOf(config, logIntegrityModule)?.stale.perOrigin).toEqual({ 'quiet.example': 600_000 });
    expect(warnings.map((w) => w.path)).toEqual(['shutdown.deadline', 'detectors.logIntegrity.stale.perOrigin.quiet.example']);
  });

  it('refuses both spellings of one key in one place', () => {
    const f = file('shutdown:\n  deadline: 20s\n  deadlineMs: 15000\n');
    const err = configError(() => loadConfig({ file: f, env: {} }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues.map((i) => i.path)).toEqual(['shutdown.deadlineMs']);
  });

  it('accepts both spellings from the environment, the new one over a legacy file key', () => {
    const legacyEnv = loadConfig({ env: { CHAINWATCH_SHUTDOWN__DEADLINE_MS: '20000', CHAINWATCH_BUS__EMBEDDED__POLL_INTERVAL: '50ms' } });
    expect(legacyEnv.config.shutdown.deadline).toBe(20_000);
    expect(busSectionOf(legacyEnv.config, embeddedBusModule).pollInterval).toBe(50);
    expect(legacyEnv.ignoredEnv).toEqual([]);
    expect(legacyEnv.warnings.map((w) => w.path)).toEqual(['shutdown.deadline']);
    const layered = loadConfig({ file: file('shutdown:\n  deadlineMs: 1000\n'), env: { CHAINWATCH_SHUTDOWN__DEADLINE: '2s' } });
    expect(layered.config.shutdown.deadline).toBe(2_000);
    const bare = loadConfig({ env: { CHAINWATCH_SHUTDOWN__DEADLINE: '3000' } });
    expect(bare.config.shutdown.deadline).toBe(3_000);
    expect(bare.warnings.map((w) => w.path)).toEqual(['shutdown.deadline']);
  });

  it('names the path of a bad duration and its bounds', () => {
    const err = configError(() => loadConfig({ file: file('shutdown:\n  deadline: 5 minutes\nsupervisor:\n  minBackoff: 0ms\n'), env: {} }));
    expect(err.issues.map((i) => i.path).sort()).toEqual(['shutdown.deadline', 'supervisor.minBackoff']);
    expect(configError(() => loadConfig({ env: { CHAINWATCH_SHUTDOWN__DEADLINE: '11m' } })).issues.map((i) => i.path)).toEqual(['shutdown.deadline']);
  });
});
