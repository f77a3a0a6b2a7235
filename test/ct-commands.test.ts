import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  createCtCollector,
  ctBackfillCommand,
  ctBackfillStateKey,
  ctLogConfigSchema,
  ctLogsCommand,
  type CtSection,
  ctStateKey,
} from '../collectors/ct/index.js';
import type { CtEntry } from '../core/index.js';
import { invokeCommand, MemoryBus } from '../core/testing/index.js';
import { SqliteStateStore } from '../stores/sqlite/index.js';
import { liveContext } from './helpers/context.js';
import { issueCert, submit } from './helpers/ct.js';
import { service } from './helpers/services.js';

/**
 * `chainwatch ct logs` and `chainwatch ct backfill` against the REAL logs (ct_server on Trillian,
 * RFC 6962; Sunlight, Static CT API): the live collector follows a few submitted certificates; `ct
 * logs` reports its verified position, tree size and lag; a backfill of that range publishes each
 * audited entry again on chainwatch.ct under its own cursor, resumes (does nothing) when run again,
 * and leaves the live cursor exactly as it was.
 */
const ctlog = service('CHAINWATCH_TEST_CTLOG_URL', 'RFC 6962 CT log (ct_server)');
const sunlight = service('CHAINWATCH_TEST_SUNLIGHT_URL', 'Static CT log (Sunlight)');

interface LogUnderTest {
  name: string;
  submissionUrl: string;
  caDir: string;
  config: { url: string; api: 'rfc6962' | 'static'; key: string };
  size(): Promise<number>;
}

function suite(log: () => LogUnderTest): void {
  it('ct logs shows the live position; ct backfill re-publishes a range under its own cursor and never moves the live one', async () => {
    const l = log();
    const dir = mkdtempSync(join(tmpdir(), `cw-ct-cmd-${l.name}-`));
    const statePath = join(dir, 'state.db');
    const bus = new MemoryBus();
    const cfg = ctLogConfigSchema.parse({ ...l.config, start: 'now', pollInterval: 100 });
    const section: CtSection = { logs: [cfg] };
    const entries = (): CtEntry[] => bus.events('chainwatch.ct').map((e) => e.data as CtEntry);

    let state = new SqliteStateStore(statePath);
    const live = createCtCollector(cfg, liveContext(bus, state, dir));
    await live.roundOnce();
    const base = live.cursor()!.verified;
    for (const n of ['a', 'b', 'c']) await submit(l.submissionUrl, issueCert(l.caDir, `${n}-cmd-${l.name}.watch.test`));
    await vi.waitFor(async () => expect(await l.size()).toBeGreaterThanOrEqual(base + 3), { timeout: 30_000, interval: 200 });
    await live.roundOnce();
    const liveCursor = await state.get(ctStateKey(cfg));
    const verified = live.cursor()!.verified;
    expect(verified).toBeGreaterThanOrEqual(base + 3);
    expect(entries()).toHaveLength(verified - base);
    state.close();

    const run = async (spec: typeof ctLogsCommand, argv: string[]) => {
      state = new SqliteStateStore(statePath);
      return invokeCommand(spec, argv, { section, dataDir: dir, bus, state });
    };
    const logs = await run(ctLogsCommand, ['--json']);
    expect(logs.code).toBe(0);
    const [row] = (JSON.parse(logs.out) as { logs: Record<string, unknown>[] }).logs;
    expect(row).toMatchObject({ api: l.config.api, state: 'configured', verified });
    expect(row!.treeSize).toBeGreaterThanOrEqual(verified);
    expect(row!.lag).toBe((row!.treeSize as number) - verified);
    expect((await run(ctLogsCommand, [])).out).toContain(String(verified));

    // Re-scan [base, verified): each entry once more, same ids, fully audited; the live cursor stays.
    const before = entries().length;
    const bf = await run(ctBackfillCommand, [l.config.url, '--from', String(base), '--json']);
    expect(bf.code, bf.err).toBe(0);
    expect(JSON.parse(bf.out)).toMatchObject({ from: base, to: verified, scanned: verified - base, done: true });
    const again = entries().slice(before);
    expect(again.map((e) => e.index)).toEqual(
      entries()
        .slice(0, before)
        .map((e) => e.index),
    );
    expect(again.every((e) => e.verification.audited)).toBe(true);
    expect(
      bus
        .events('chainwatch.ct')
        .slice(before)
        .map((e) => e.id),
    ).toEqual(
      bus
        .events('chainwatch.ct')
        .slice(0, before)
        .map((e) => e.id),
    );

    // Run again: its own cursor says it is done; nothing more is published.
    const rerun = await run(ctBackfillCommand, [l.config.url, '--from', String(base), '--json']);
    expect(JSON.parse(rerun.out)).toMatchObject({ scanned: 0, resumedAt: verified, done: true });
    expect(entries()).toHaveLength(before * 2);

    state = new SqliteStateStore(statePath);
    expect(await state.get(ctStateKey(cfg))).toEqual(liveCursor);
    expect((await state.get<{ verified: number }>(ctBackfillStateKey(cfg, base, verified)))!.verified).toBeGreaterThanOrEqual(verified);
    state.close();

    // Usage: an unknown log, an empty range.
    expect((await run(ctBackfillCommand, ['https://nowhere.example/', '--from', '0'])).code).toBe(2);
    state.close();
    expect((await run(ctBackfillCommand, [l.config.url, '--from', String(verified), '--to', String(base)])).code).toBe(2);
    state.close();
  });
}

describe.skipIf(ctlog.skip)('ct commands against ct_server (RFC 6962)', () => {
  suite(() => {
    const url = ctlog.value!;
    return {
      name: 'rfc6962',
      submissionUrl: url,
      caDir: process.env.CHAINWATCH_TEST_CTLOG_CA!,
      config: { url, api: 'rfc6962', key: readFileSync(process.env.CHAINWATCH_TEST_CTLOG_PUBKEY!, 'utf8') },
      size: async () => ((await (await fetch(`${url}ct/v1/get-sth`)).json()) as { tree_size: number }).tree_size,
    };
  });
});

describe.skipIf(sunlight.skip)('ct commands against Sunlight (Static CT API)', () => {
  suite(() => {
    const logJson = JSON.parse(readFileSync(process.env.CHAINWATCH_TEST_SUNLIGHT_LOG_JSON!, 'utf8')) as { key: string };
    const mon = process.env.CHAINWATCH_TEST_SUNLIGHT_MONITORING_URL!;
    return {
      name: 'static',
      submissionUrl: sunlight.value!,
      caDir: process.env.CHAINWATCH_TEST_SUNLIGHT_CA!,
      config: { url: mon, api: 'static', key: logJson.key },
      size: async () => Number((await (await fetch(`${mon}checkpoint`)).text()).split('\n')[1]),
    };
  });
});
