import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../core/index.js';
import { kafkaBusModule } from '../../bus/kafka/module.js';
import { rekorModule } from '../../collectors/rekor/module.js';
import { logIntegrityModule } from '../../detectors/log-integrity/module.js';
import { envOverrides } from './env.js';
import { loadConfig } from './load.js';
import { busSectionOf, configSchema, sectionOf } from './schema.js';

/** What CHAINWATCH_* variables can and cannot set, as docs/configuration.md states it. */
describe('environment overrides', () => {
  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('builds bus.kafka.sasl (%s) from the environment alone', (mechanism) => {
    const { config, ignoredEnv } = loadConfig({
      env: {
        CHAINWATCH_BUS__KIND: 'kafka',
        CHAINWATCH_BUS__KAFKA__BROKERS: 'k1:9092,k2:9092',
        CHAINWATCH_BUS__KAFKA__SASL__MECHANISM: mechanism,
        CHAINWATCH_BUS__KAFKA__SASL__USERNAME: 'chainwatch',
        CHAINWATCH_BUS__KAFKA__SASL__PASSWORD: 's3cret-from-env',
        CHAINWATCH_BUS__KAFKA__SSL: 'true',
      },
    });
    expect(ignoredEnv).toEqual([]);
    const kafka = busSectionOf(config, kafkaBusModule)!;
    expect([kafka.sasl?.mechanism, kafka.sasl?.username, kafka.ssl]).toEqual([mechanism, 'chainwatch', true]);
    expect(kafka.sasl?.password).toBeInstanceOf(Secret);
    expect(kafka.sasl?.password.reveal()).toBe('s3cret-from-env');
  });

  it('maps every variable of the table in docs/configuration.md to the key it names', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `(CHAINWATCH_[A-Z_]+)=([^`]*)` \| `([^`]+)`/gm)].map((m) => ({ variable: m[1]!, value: m[2]!, key: m[3]! }));
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      const { overrides, ignored } = envOverrides(configSchema, { [row.variable]: row.value });
      expect(ignored, row.variable).toEqual([]);
      expect(overrides[0]?.path.join('.'), row.variable).toBe(row.key);
    }
  });

  it('sets lists and maps whole (JSON), never one element or entry by index or name', () => {
    const log = { url: 'https://rekor.example', vantage: 'env' };
    const whole = loadConfig({
      env: {
        CHAINWATCH_COLLECTORS__REKOR: JSON.stringify([log]),
        CHAINWATCH_DETECTORS__LOG_INTEGRITY__STALE__PER_ORIGIN: '{"quiet.example":"10m"}',
      },
    });
    expect(sectionOf(whole.config, rekorModule).map((l) => l.vantage)).toEqual(['env']);
    expect(sectionOf(whole.config, logIntegrityModule)?.stale.perOrigin).toEqual({ 'quiet.example': 600_000 });
    const parts = { CHAINWATCH_COLLECTORS__REKOR__0__URL: 'https://rekor.example', CHAINWATCH_DETECTORS__LOG_INTEGRITY__STALE__PER_ORIGIN__QUIET: '10m' };
    expect(envOverrides(configSchema, parts).ignored.sort()).toEqual(Object.keys(parts).sort());
  });
});

describe('variables of the service scripts', () => {
  // The test runner exports each service's CHAINWATCH_<SERVICE>_* variables into the daemon's
  // environment: a new service script must not make every daemon start print "names no config key".
  it('are tooling, never reported as ignored config', () => {
    const dir = fileURLToPath(new URL('../../scripts/services/', import.meta.url));
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    const names = new Set<string>();
    for (const f of files) for (const m of readFileSync(join(f.parentPath, f.name), 'utf8').matchAll(/CHAINWATCH_[A-Z0-9_]*[A-Z0-9]/g)) names.add(m[0]);
    expect(names.size).toBeGreaterThan(10);
    const env = Object.fromEntries([...names].map((n) => [n, '1']));
    expect(envOverrides(configSchema, env).ignored).toEqual([]);
  });
});
