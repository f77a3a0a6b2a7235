import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HttpRoute } from '../../core/index.js';
import { auditConfigSchema } from './config.js';
import { auditModule } from './module.js';

/** The module's GET /audit/records/:ref route, called as the router calls it. */
function route(dataDir: string): HttpRoute {
  const cfg = auditConfigSchema.parse({});
  const [r] = auditModule.routes!(cfg, { dataDir, instance: 'test', publicUrl: undefined, facts: {} });
  return r!;
}
const get = (r: HttpRoute, ref: string) =>
  r.handler({
    method: 'GET',
    params: { ref },
    query: new URLSearchParams(),
    headers: {},
    body: undefined,
    principal: { id: 'anonymous', roles: [] },
    signal: new AbortController().signal,
  });

describe('sinks.audit module', () => {
  it('routes GET /audit/records/:ref, read-only and authenticated unless public: true', () => {
    const r = route(mkdtempSync(join(tmpdir(), 'cw-audit-')));
    expect([r.method, r.path, r.auth]).toEqual(['GET', '/audit/records/:ref', { kind: 'bearer', tokens: [] }]);
    const [pub] = auditModule.routes!(auditConfigSchema.parse({ api: { public: true } }), { dataDir: '/x', instance: 't', publicUrl: undefined, facts: {} });
    expect(pub!.auth).toEqual({ kind: 'public' });
  });

  it('a failed open of the audit store is retried on the next request, not cached forever', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-'));
    writeFileSync(join(dataDir, 'audit'), 'not a directory'); // the store cannot open yet
    const r = route(dataDir);
    await expect(get(r, 'nope')).rejects.toThrow();
    rmSync(join(dataDir, 'audit'));
    expect((await get(r, 'nope')).status).toBe(404);
    expect((await get(r, '')).status).toBe(400);
  });

  it('tells the alert pipeline where records are, only when enabled and reachable', () => {
    const host = { dataDir: '/d', instance: 'i', publicUrl: 'https://cw.example/' };
    expect(auditModule.provides!(auditConfigSchema.parse({}), host)).toEqual({ auditRecordUrl: 'https://cw.example/audit/records/{findingId}' });
    expect(auditModule.provides!(auditConfigSchema.parse({ publicUrl: 'https://audit.example' }), host).auditRecordUrl).toBe(
      'https://audit.example/audit/records/{findingId}',
    );
    expect(auditModule.provides!(auditConfigSchema.parse({ enabled: false }), host)).toEqual({});
    expect(auditModule.provides!(auditConfigSchema.parse({}), { ...host, publicUrl: undefined })).toEqual({});
  });
});
