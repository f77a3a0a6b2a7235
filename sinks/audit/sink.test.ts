import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Bus,
  type BusRecord,
  type CloudEvent,
  type ComponentContext,
  EVENT_FAMILIES,
  makeEvent,
  noopMetrics,
  silentLogger,
  type SubscribeOptions,
  topicFor,
} from '../../core/index.js';
import { MemoryKeyProvider, MemoryStateStore } from '../../core/testing/index.js';
import { parseVerifierKey } from '../../core/tlog/index.js';
import { readKeyHistory } from './checkpoint.js';
import { AuditError } from './errors.js';
import { parseAuditConfig } from './config.js';
import type { AuditStore } from './port.js';
import { createAuditSink } from './sink.js';
import { SqliteAuditStore } from './sqlite.js';
import { sampleEntries } from './testing/contract.js';
import { verifyAuditTrail } from './verify.js';

/** Just enough bus: records what the sink subscribed to and lets the test play the consumer loop. */
function fakeBus() {
  const subs: SubscribeOptions[] = [];
  const published: CloudEvent[] = [];
  const bus = {
    kind: 'embedded',
    async publish(evs: CloudEvent | CloudEvent[]) {
      published.push(...(Array.isArray(evs) ? evs : [evs]));
    },
    async subscribe(opts: SubscribeOptions) {
      subs.push(opts);
      return { group: opts.group, pause() {}, resume() {}, async stop() {} };
    },
  } as unknown as Bus;
  return { bus, subs, published };
}

function ctx(bus: Bus, dataDir: string, keys = new MemoryKeyProvider()): ComponentContext {
  return { bus, state: new MemoryStateStore(), logger: silentLogger, metrics: noopMetrics, dataDir, keys, fail: () => {}, now: () => new Date() };
}

function probe(offset: number): BusRecord {
  const event = makeEvent({ type: 'dev.chainwatch.system.probe.v1', source: 'test', subject: 'p', data: { seq: offset } });
  return { topic: 'chainwatch.system', partition: 0, offset: String(offset), key: 'p', headers: {}, event };
}

function finding(offset: number): BusRecord {
  const data = {
    findingId: `f-${offset}`,
    rule: 'tlog.consistency_failed',
    detector: 'log-integrity',
    severity: 'critical',
    category: 'security',
    status: 'firing',
    dedupKey: 'k',
    summary: 'fork',
    subject: 'rekor.sigstore.dev',
    labels: {},
    evidence: {},
    links: [],
    causedBy: [],
    observedAt: new Date().toISOString(),
  };
  const event = makeEvent({ type: 'dev.chainwatch.finding.v1', source: 'detector', subject: 'rekor.sigstore.dev', data });
  return { topic: 'chainwatch.findings', partition: 0, offset: String(offset), key: 'k', headers: {}, event };
}

const config = parseAuditConfig({ instance: 'unit', checkpointEvery: 10, checkpointInterval: '1h' });

describe('AuditSink', () => {
  it('records every family topic, commits only after durable appends, signs checkpoints, skips redeliveries', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-sink-'));
    const dbPath = join(dataDir, 'audit', 'audit.db');
    const { bus, subs } = fakeBus();
    const keys = new MemoryKeyProvider(); // the key file itself (0600, exclusive) is keys/ and test/audit/audit-key.test.ts
    const sink = createAuditSink(config, ctx(bus, dataDir, keys), new SqliteAuditStore({ path: dbPath }));
    await sink.start();
    await sink.start(); // idempotent
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ group: 'chainwatch-audit', fromBeginning: true });
    expect(subs[0]!.topics.sort()).toEqual(EVENT_FAMILIES.map(topicFor).sort());

    const handler = subs[0]!.handler;
    const signal = new AbortController().signal;
    await Promise.all(Array.from({ length: 24 }, (_, i) => handler(i % 6 === 0 ? finding(i) : probe(i), signal)));
    // Every handler resolved: each record is already in the store (what lets the bus commit).
    expect(await sink.store.size()).toBe(24);
    expect(await sink.store.get({ id: 'f-6' })).toMatchObject({ kind: 'finding', severity: 'critical', index: expect.any(Number) });
    await sink.flush();
    const cps = await sink.store.listCheckpoints();
    expect(cps[cps.length - 1]!.size).toBe(24);
    await sink.stop();
    await sink.stop(); // idempotent

    // Key: the default reference (<dataDir>/audit/checkpoint-key.pem), stable across restarts;
    // the vkey it publishes beside it verifies the trail.
    expect(await keys.open({ file: join(dataDir, 'audit', 'checkpoint-key.pem') })).toMatchObject({ algorithm: 'ed25519' });
    const vkey = readKeyHistory(join(dataDir, 'audit', 'checkpoint-key.vkey'))!.at(-1)!;

    // Restart: the bus redelivers 20..23 (offsets not committed before the crash) plus new ones.
    const again = fakeBus();
    const sink2 = createAuditSink(config, ctx(again.bus, dataDir, keys), new SqliteAuditStore({ path: dbPath }));
    await sink2.start();
    for (const i of [20, 21, 22, 23, 24, 25]) await again.subs[0]!.handler(probe(i), signal);
    expect(await sink2.store.size()).toBe(26);
    await sink2.flush();
    const report = await verifyAuditTrail(sink2.store, parseVerifierKey(vkey));
    expect(report).toMatchObject({ ok: true, records: 26 });
    expect(sink2.checkpointKey?.vkey).toBe(vkey);
    await sink2.stop();
  });

  it('rejects the handler (so the offset is not committed) when the store cannot append', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-sink-fail-'));
    const inner = new SqliteAuditStore({ path: join(dataDir, 'a.db') });
    const failing: AuditStore = Object.assign(Object.create(inner) as AuditStore, {
      kind: 'sqlite' as const,
      open: () => inner.open(),
      close: () => inner.close(),
      recentPositions: (n: number) => inner.recentPositions(n),
      size: () => inner.size(),
      listCheckpoints: () => inner.listCheckpoints(),
      append: async () => {
        throw new AuditError('AUDIT_WRITE_FAILED', 'disk full');
      },
    });
    const { bus, subs } = fakeBus();
    const sink = createAuditSink(config, ctx(bus, dataDir), failing);
    await sink.start();
    await expect(subs[0]!.handler(probe(1), new AbortController().signal)).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    expect(sink.health()).toMatchObject({ ready: false });
    await sink.stop();
  });

  it('records an event whose payload canonical JSON cannot express (lone surrogate) and does not fail its batch neighbours', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-sink-poison-'));
    const { bus, subs } = fakeBus();
    const sink = createAuditSink(config, ctx(bus, dataDir), new SqliteAuditStore({ path: join(dataDir, 'a.db') }));
    await sink.start();
    // e.g. package metadata from a registry: JSON.parse('"\\ud800"') is a valid JS string but not UTF-8.
    const poison = probe(1);
    (poison.event.data as Record<string, unknown>).description = `evil ${String.fromCharCode(0xd800)} text`;
    const signal = new AbortController().signal;
    const results = await Promise.allSettled([probe(0), poison, probe(2)].map((r) => subs[0]!.handler(r, signal)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(await sink.store.size()).toBe(3);
    const rec = await sink.store.get({ id: poison.event.id });
    expect((rec?.payload as { data: { description: string } }).data.description).toBe('evil \uFFFD text');
    await sink.flush();
    await sink.stop();
  });

  it('keeps the rest of a payload when one field nests past 100 levels, marking only that field', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-sink-deep-'));
    const { bus, subs } = fakeBus();
    const sink = createAuditSink(config, ctx(bus, dataDir), new SqliteAuditStore({ path: join(dataDir, 'a.db') }));
    await sink.start();
    const deep = probe(1);
    let nest: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 150; i++) nest = { n: nest };
    Object.assign(deep.event.data as Record<string, unknown>, { deep: nest, keep: 'me' });
    await subs[0]!.handler(deep, new AbortController().signal);
    const rec = await sink.store.get({ id: deep.event.id });
    const data = (rec?.payload as { data: Record<string, unknown> }).data;
    expect(data.keep).toBe('me');
    expect(data.seq).toBe(1);
    // Followed down to the marker: everything above the cut is kept.
    let v: unknown = data.deep;
    let levels = 0;
    while (typeof v === 'object' && v !== null) {
      v = (v as { n: unknown }).n;
      levels++;
    }
    expect(levels).toBeGreaterThan(90);
    expect(v).toMatch(/^unrecordable: /);
    await sink.stop();
  });

  it('keeps to the cadence verify checks: signs what a crash left unsigned at start, and at the exact size each count trigger reached', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-audit-sink-cadence-'));
    const dbPath = join(dataDir, 'a.db');
    const crashed = new SqliteAuditStore({ path: dbPath });
    await crashed.open();
    await crashed.append(sampleEntries(7)); // appended, then kill -9 before any checkpoint
    await crashed.close();
    const cfg = parseAuditConfig({ instance: 'unit', checkpointEvery: 10, maxBatch: 4, checkpointInterval: '1h' });
    const { bus, subs, published } = fakeBus();
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_o: unknown, msg?: string) => void warnings.push(String(msg)) } as typeof silentLogger;
    const sink = createAuditSink(cfg, { ...ctx(bus, dataDir), logger }, new SqliteAuditStore({ path: dbPath }));
    await sink.start();
    // The key was missing although the trail has records: generated, loudly, and recorded in the trail.
    expect(warnings.join('\n')).toMatch(/key was missing/);
    expect(await sink.store.get({ index: 7 })).toMatchObject({ kind: 'operator', type: 'operator.key-change' });
    expect((await sink.store.listCheckpoints()).map((c) => c.size)).toEqual([8]);
    // Published out of the store as signed.
    expect(published.map((e) => [e.type, (e.data as { size: number }).size])).toEqual([['dev.chainwatch.audit.checkpoint.v1', 8]]);
    const signal = new AbortController().signal;
    await Promise.all(Array.from({ length: 60 }, (_, i) => subs[0]!.handler(probe(100 + i), signal)));
    await sink.flush();
    const sizes = (await sink.store.listCheckpoints()).map((c) => c.size);
    const gaps = sizes.map((s, k) => s - (sizes[k - 1] ?? 0));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10 + 4 - 1);
    expect(sizes.at(-1)).toBe(68);
    await sink.stop();
  });

  it('refuses bad config with ConfigError issues', () => {
    expect(() => parseAuditConfig({ instance: 'has space', backend: { kind: 'opensearch', url: 'nope' } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});
