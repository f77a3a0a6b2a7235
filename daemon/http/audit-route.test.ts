import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, silentLogger } from '../../core/index.js';
import { loadConfig } from '../config/load.js';
import { plan } from '../plan.js';
import { capabilityModules } from '../registry.js';
import { HttpServer } from './server.js';

/**
 * GET /audit/records/<id> serves full payloads and proofs: through the real loader, planner and
 * server it answers only an authenticated caller unless `sinks.audit.api.public: true` says so.
 */
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function serve(env: NodeJS.ProcessEnv): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-route-'));
  const { config } = loadConfig({ env: { CHAINWATCH_DATA_DIR: dataDir, ...env } });
  server = new HttpServer({ ready: () => ({ ready: true, checks: {} }), metrics: async () => ({ body: '', contentType: 'text/plain' }), logger: silentLogger });
  server.setRoutes(plan(config, capabilityModules).routes);
  return `http://127.0.0.1:${(await server.start('127.0.0.1', 0)).port}`;
}

describe('audit record route', () => {
  it('refuses an unauthenticated read by default', async () => {
    const base = await serve({});
    expect((await fetch(`${base}/audit/records/some-id`)).status).toBe(401);
  });

  it('serves a caller with a configured bearer token (a secret reference)', async () => {
    const base = await serve({
      CHAINWATCH_SINKS__AUDIT__API__AUTH__BEARER: JSON.stringify([{ token: { env: 'AUDIT_READ_TOKEN' }, principal: 'auditor' }]),
      AUDIT_READ_TOKEN: 'audit-read-t0ken',
    });
    expect((await fetch(`${base}/audit/records/some-id`)).status).toBe(401);
    expect((await fetch(`${base}/audit/records/some-id`, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
    expect((await fetch(`${base}/audit/records/some-id`, { headers: { authorization: 'Bearer audit-read-t0ken' } })).status).toBe(404);
  });

  it('is public only when public: true says so, and not with tokens at the same time', async () => {
    expect((await fetch(`${await serve({ CHAINWATCH_SINKS__AUDIT__API__PUBLIC: 'true' })}/audit/records/some-id`)).status).toBe(404);
    expect(() =>
      loadConfig({
        env: { CHAINWATCH_SINKS__AUDIT__API__PUBLIC: 'true', CHAINWATCH_SINKS__AUDIT__API__AUTH__BEARER: '[{"token":"abcdefgh","principal":"p"}]' },
      }),
    ).toThrowWithCode(ConfigError, 'CONFIG_INVALID', { issues: [{ path: 'sinks.audit.api.public' }] });
  });
});
