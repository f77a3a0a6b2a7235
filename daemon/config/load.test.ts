import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type Secret } from '../../core/index.js';
import { embeddedBusModule } from '../../bus/embedded/module.js';
import { kafkaBusModule } from '../../bus/kafka/module.js';
import { loadConfig } from './load.js';
import { busSectionOf } from './schema.js';

function file(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'cw-cfg-')), 'chainwatch.yaml');
  writeFileSync(p, text);
  return p;
}

describe('loadConfig', () => {
  it('gives embedded defaults with no file', () => {
    const { config } = loadConfig({ env: {} });
    expect(config.bus.kind).toBe('embedded');
    expect(config.http.port).toBe(8080);
    expect(busSectionOf(config, embeddedBusModule).partitions).toBe(4);
  });

  it('applies file, then CHAINWATCH_* env, then flags', () => {
    const f = file('http:\n  port: 9000\ninstance: from-file\nbus:\n  embedded:\n    partitions: 2\n');
    const { config, ignoredEnv } = loadConfig({
      file: f,
      env: {
        CHAINWATCH_INSTANCE: 'from-env',
        CHAINWATCH_HTTP__PORT: '9100',
        CHAINWATCH_BUS__EMBEDDED__FSYNC: 'true',
        CHAINWATCH_NOPE: 'x',
        CHAINWATCH_CACHE: '/c',
        CHAINWATCH_MODEL_PYTHON: '/venv/bin/python',
      },
      flags: { 'http.port': 9200 },
    });
    expect(config.instance).toBe('from-env');
    expect(config.http.port).toBe(9200);
    expect(busSectionOf(config, embeddedBusModule).partitions).toBe(2);
    expect(busSectionOf(config, embeddedBusModule).fsync).toBe(true);
    expect(ignoredEnv).toEqual(['CHAINWATCH_NOPE']);
  });

  it('parses comma lists from env for arrays', () => {
    const { config } = loadConfig({ env: { CHAINWATCH_BUS__KIND: 'kafka', CHAINWATCH_BUS__KAFKA__BROKERS: '127.0.0.1:1,127.0.0.1:2' } });
    expect(busSectionOf(config, kafkaBusModule)?.brokers).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
  });

  it('names the path of every bad key and what was expected', () => {
    const f = file('http:\n  port: "eighty"\nbus:\n  kind: rabbit\nunknownKey: 1\n');
    try {
      loadConfig({ file: f, env: {} });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.code).toBe('CONFIG_INVALID');
      const paths = e.issues.map((i) => i.path).sort();
      expect(paths).toEqual(['(root)', 'bus.kind', 'http.port']);
    }
  });

  it('says which environment variable was bad', () => {
    try {
      loadConfig({ env: { CHAINWATCH_HTTP__PORT: 'many' } });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues[0]!.path).toBe('http.port');
      expect((err as ConfigError).issues[0]!.message).toContain('CHAINWATCH_HTTP__PORT');
    }
  });

  it('reports YAML syntax errors and missing files with codes', () => {
    expect(() => loadConfig({ file: file('http: [unclosed\n'), env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_PARSE' }));
    expect(() => loadConfig({ file: '/nonexistent/chainwatch.yaml', env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_NOT_FOUND' }));
    expect(() => loadConfig({ file: file('- a\n- b\n'), env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('requires bus.kafka when bus.kind is kafka', () => {
    expect(() => loadConfig({ env: { CHAINWATCH_BUS__KIND: 'kafka' } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('resolves secrets from env and files and registers them for redaction', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-sec-'));
    writeFileSync(join(dir, 'pw'), 'file-secret-value\n');
    const f = file(
      `bus:\n  kind: kafka\n  kafka:\n    brokers: ["127.0.0.1:9092"]\n    sasl:\n      mechanism: plain\n      username: u\n      password: { file: ${join(dir, 'pw')} }\n`,
    );
    const { config, redactor } = loadConfig({ file: f, env: {} });
    expect(busSectionOf(config, kafkaBusModule)?.sasl?.password.reveal()).toBe('file-secret-value');
    expect(redactor.redact('oops file-secret-value leaked')).toBe('oops [REDACTED] leaked');
    expect(() => loadConfig({ file: f.replace(/$/, ''), env: {}, flags: {} })).not.toThrow();
    const g = file(
      'bus:\n  kind: kafka\n  kafka:\n    brokers: ["127.0.0.1:9092"]\n    sasl:\n      mechanism: plain\n      username: u\n      password: { env: NOT_SET_ANYWHERE }\n',
    );
    expect(() => loadConfig({ file: g, env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_SECRET_UNREADABLE' }));
  });

  it('resolves the Kafka TLS private key from a file reference and redacts it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-key-'));
    const keyFile = join(dir, 'client.key');
    writeFileSync(keyFile, '-----BEGIN PRIVATE KEY-----\nMIIsecretmaterial\n-----END PRIVATE KEY-----\n');
    const f = file(`bus:\n  kind: kafka\n  kafka:\n    brokers: ["127.0.0.1:9092"]\n    ssl:\n      key: { file: ${JSON.stringify(keyFile)} }\n`);
    const { config, redactor } = loadConfig({ file: f, env: {} });
    const ssl = busSectionOf(config, kafkaBusModule)?.ssl as { key?: Secret };
    expect(ssl.key?.reveal()).toContain('MIIsecretmaterial');
    expect(redactor.redact(`tls error with ${ssl.key?.reveal()}`)).not.toContain('MIIsecretmaterial');
  });
});
