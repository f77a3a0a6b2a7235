import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/index.js';
import { registerAuditRoutes } from './audit.js';
import { loadConfig } from './config/load.js';
import { HttpServer } from './http.js';

describe('GET /audit/records/', () => {
  let http: HttpServer | undefined;
  afterEach(async () => {
    await http?.stop();
    http = undefined;
  });

  async function serve(dataDir: string): Promise<string> {
    const { config } = loadConfig({ env: {}, flags: { dataDir } });
    http = new HttpServer({ ready: () => ({ ready: true, checks: {} }), metrics: async () => ({ body: '', contentType: 'text/plain' }), logger: silentLogger });
    registerAuditRoutes(http, config);
    const port = await http.start('127.0.0.1', 0);
    return `http://127.0.0.1:${port}`;
  }

  it('answers 400 (not 500) for a malformed percent-encoded id', async () => {
    const base = await serve(mkdtempSync(join(tmpdir(), 'cw-audit-')));
    const res = await fetch(`${base}/audit/records/%E0%A4%A`);
    expect(res.status).toBe(400);
  });

  it('a failed open of the audit store is retried on the next request, not cached forever', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-'));
    writeFileSync(join(dataDir, 'audit'), 'not a directory'); // the store cannot open yet
    const base = await serve(dataDir);
    expect((await fetch(`${base}/audit/records/nope`)).status).toBe(500);
    rmSync(join(dataDir, 'audit'));
    expect((await fetch(`${base}/audit/records/nope`)).status).toBe(404);
  });
});
