import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCtCollector, ctStateKey } from '../collectors/ct/index.js';
import type { CtEntry } from '../core/index.js';
import { MemoryBus, type RecordingServer, startRecordingServer } from '../core/testing/index.js';
import { TlogError } from '../core/tlog/index.js';
import { SqliteStateStore } from '../stores/sqlite/index.js';
import { liveContext } from './helpers/context.js';
import { issueCert, submit } from './helpers/ct.js';
import { service } from './helpers/services.js';

/**
 * Bad answers from an RFC 6962 log, made by a proxy in front of the REAL ct_server
 * (scripts/services/ctlog.sh): get-entries pages cut to one entry (must be continued, not taken as
 * complete), a 429 with Retry-After (must be waited out), and an entry swapped for another real
 * entry (must fail the audit: nothing published, the cursor stays).
 */
const ctlog = service('CHAINWATCH_TEST_CTLOG_URL', 'RFC 6962 CT log (ct_server)');

describe.skipIf(ctlog.skip)('CT collector: bad answers from an RFC 6962 log', () => {
  const url = ctlog.value!;
  const key = readFileSync(process.env.CHAINWATCH_TEST_CTLOG_PUBKEY ?? '/dev/null', 'utf8');
  let mode: 'short' | 'swap' = 'short';
  let proxy: RecordingServer;
  const dir = mkdtempSync(join(tmpdir(), 'cw-ct-faults-'));
  const ctx = (bus: MemoryBus, state: SqliteStateStore) => liveContext(bus, state, dir);
  const size = async (): Promise<number> => ((await (await fetch(`${url}ct/v1/get-sth`)).json()) as { tree_size: number }).tree_size;

  beforeAll(async () => {
    proxy = await startRecordingServer(async (req) => {
      const up = await fetch(`${url.replace(/\/+$/, '')}${req.url.replace(/^\/log/, '')}`);
      const body = (await up.json()) as { entries?: { leaf_input: string; extra_data: string }[] };
      if (req.path.endsWith('/get-entries') && body.entries) {
        if (mode === 'short') body.entries = body.entries.slice(0, 1);
        else if (body.entries.length > 1) body.entries = [body.entries[1]!, ...body.entries.slice(1)];
      }
      return { status: up.status, body };
    });
    const ca = process.env.CHAINWATCH_TEST_CTLOG_CA!;
    const before = await size();
    for (let i = 0; i < 3; i++) await submit(url, issueCert(ca, `fault-${i}.watch.test`));
    await vi.waitFor(async () => expect(await size()).toBeGreaterThanOrEqual(before + 3), { timeout: 30_000, interval: 200 });
  });
  afterAll(async () => proxy?.stop());

  it('continues short get-entries pages and waits out a 429 with Retry-After: every entry once, audited', async () => {
    mode = 'short';
    const bus = new MemoryBus();
    const state = new SqliteStateStore(join(dir, 'short.db'));
    const n = await size();
    const c = createCtCollector(
      { url: `${proxy.url}/log/`, key, start: { index: n - 3 }, batchSize: 3, concurrency: 1, rateLimit: { requestsPerSecond: 100 } },
      ctx(bus, state),
    );
    proxy.failNext(1, { status: 429, headers: { 'retry-after': '1' } });
    const t0 = Date.now();
    await c.roundOnce();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000); // Retry-After honoured
    const entries = bus.events('chainwatch.ct').map((e) => e.data as CtEntry);
    expect(entries.map((e) => e.index)).toEqual([n - 3, n - 2, n - 1]);
    const anomalies = bus
      .events('chainwatch.tlog')
      .filter((e) => e.type === 'dev.chainwatch.tlog.anomaly.v1')
      .map((e) => e.data as { kind: string });
    expect(anomalies.map((a) => a.kind)).toEqual(['rate_limited']);
    expect(proxy.requests.filter((r) => r.path.endsWith('/get-entries')).length).toBeGreaterThanOrEqual(3);
    state.close();
  });

  it('entries that do not hash to the signed root fail the audit: nothing published, cursor unmoved', async () => {
    mode = 'swap';
    const bus = new MemoryBus();
    const state = new SqliteStateStore(join(dir, 'swap.db'));
    const n = await size();
    const cfg = { url: `${proxy.url}/log/`, key, start: { index: n - 3 }, batchSize: 3, concurrency: 1 };
    const c = createCtCollector(cfg, ctx(bus, state));
    await expect(c.roundOnce()).rejects.toThrowWithCode(TlogError, 'TLOG_ROOT_MISMATCH');
    expect(bus.events('chainwatch.ct')).toEqual([]);
    const a = bus
      .events('chainwatch.tlog')
      .filter((e) => e.type === 'dev.chainwatch.tlog.anomaly.v1')
      .map((e) => e.data as { kind: string });
    expect(a.map((x) => x.kind)).toEqual(['inclusion_failed']);
    expect((await state.get<{ verified: number }>(ctStateKey({ ...cfg, vantage: 'primary' })))?.verified).toBe(n - 3);
    state.close();
  });
});
