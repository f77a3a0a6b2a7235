import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointObservedEvent,
  type CloudEvent,
  ConfigError,
  type ComponentContext,
  type Finding,
  makeEvent,
  noopMetrics,
  silentLogger,
  TlogAnomalyEvent,
  type TlogAnomalyKind,
  topicFor,
} from '../../core/index.js';
import { MemoryKeyProvider, MemoryStateStore, realdata } from '../../core/testing/index.js';
import { MemoryBus } from '../../core/testing/index.js';
import { createLogIntegrityDetector } from './index.js';

// A clock the test moves by hand: the stale timer is disabled and tick() is called directly.
let clock = new Date('2026-01-01T00:00:00Z');
const at = (min: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + min * 60_000).toISOString();

function harness(state = new MemoryStateStore(), config: Record<string, unknown> = {}) {
  const bus = new MemoryBus();
  const failures: unknown[] = [];
  const ctx: ComponentContext = {
    bus,
    state,
    logger: silentLogger,
    metrics: noopMetrics,
    dataDir: '/nonexistent',
    keys: new MemoryKeyProvider(),
    fail: (e) => failures.push(e),
    now: () => clock,
  };
  const detector = createLogIntegrityDetector({ stale: { checkInterval: 0, after: 30 * 60_000 }, ...config }, ctx);
  const findings = () => bus.events(topicFor('findings')).map((e) => e.data as Finding);
  return { bus, state, detector, findings, failures };
}

const ORIGIN = 'log.example.test - 42';
function checkpoint(p: {
  size: number;
  root: string;
  vantage?: string;
  verified?: boolean;
  consistentWith?: number;
  min?: number;
  origin?: string;
  note?: string;
  id?: string;
}): CloudEvent {
  return makeEvent({
    type: CheckpointObservedEvent.type,
    source: 'chainwatch://collectors/rekor',
    subject: p.origin ?? ORIGIN,
    ...(p.id ? { id: p.id } : {}),
    data: {
      origin: p.origin ?? ORIGIN,
      url: 'https://log.example.test',
      vantage: p.vantage ?? 'primary',
      treeSize: p.size,
      rootHash: p.root,
      note: p.note ?? `${p.origin ?? ORIGIN}\n${p.size}\n${p.root}\n`,
      signatureVerified: p.verified ?? true,
      ...(p.consistentWith !== undefined ? { consistentWith: p.consistentWith } : {}),
      observedAt: at(p.min ?? 0),
    },
  });
}
function anomaly(kind: TlogAnomalyKind, code: string, evidence: Record<string, unknown> = {}, vantage = 'primary', min = 0): CloudEvent {
  return makeEvent({
    type: TlogAnomalyEvent.type,
    source: 'chainwatch://collectors/rekor',
    subject: ORIGIN,
    data: { origin: ORIGIN, url: 'https://log.example.test', vantage, kind, code, message: `${kind} seen`, evidence, observedAt: at(min) },
  });
}
const rootOf = (n: number) => Buffer.alloc(32, n).toString('base64');

let h: ReturnType<typeof harness>;
beforeEach(async () => {
  clock = new Date(at(0));
  h = harness();
  await h.detector.start();
});
afterEach(async () => {
  await h.detector.stop();
  expect(h.failures).toEqual([]);
});

async function feed(d: { bus: MemoryBus }, ...events: CloudEvent[]) {
  for (const e of events) await d.bus.publish(e);
  await d.bus.drain();
}

describe('log-integrity: anomalies', () => {
  const table: [TlogAnomalyKind, string, string, Finding['category'], Finding['severity'], string][] = [
    ['signature_invalid', 'NOTE_SIGNATURE_INVALID', 'tlog.signature_invalid', 'security', 'critical', `tlog.signature_invalid|${ORIGIN}`],
    ['consistency_failed', 'TLOG_CONSISTENCY_MISMATCH', 'tlog.consistency_failed', 'security', 'critical', `tlog.consistency_failed|${ORIGIN}`],
    ['tree_shrank', 'TLOG_TREE_SHRANK', 'tlog.tree_shrank', 'security', 'critical', `tlog.tree_shrank|${ORIGIN}`],
    ['inclusion_failed', 'TLOG_INCLUSION_MISMATCH', 'tlog.inclusion_failed', 'security', 'high', `tlog.inclusion_failed|${ORIGIN}|logIndex=7`],
    ['set_invalid', 'SET_INVALID', 'tlog.set_invalid', 'security', 'high', `tlog.set_invalid|${ORIGIN}|logIndex=7`],
    ['entry_malformed', 'ENTRY_MALFORMED', 'tlog.entry_malformed', 'security', 'high', `tlog.entry_malformed|${ORIGIN}|logIndex=7`],
    ['unreachable', 'HTTP_UNREACHABLE', 'tlog.unreachable', 'infrastructure', 'low', `tlog.unreachable|${ORIGIN}|primary`],
    ['server_error', 'HTTP_SERVER_ERROR', 'tlog.server_error', 'infrastructure', 'low', `tlog.server_error|${ORIGIN}|primary`],
    ['rate_limited', 'HTTP_RATE_LIMITED', 'tlog.rate_limited', 'infrastructure', 'low', `tlog.rate_limited|${ORIGIN}|primary`],
    ['malformed_response', 'HTTP_BAD_RESPONSE', 'tlog.malformed_response', 'infrastructure', 'low', `tlog.malformed_response|${ORIGIN}|primary`],
  ];
  it.each(table)('%s -> %s', async (kind, code, rule, category, severity, key) => {
    await feed(h, anomaly(kind, code, { logIndex: 7, fromSize: 10, toSize: 9 }));
    const [f, ...rest] = h.findings();
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ rule, category, severity, dedupKey: key, status: 'firing', subject: ORIGIN, detector: 'log-integrity' });
    expect(f!.evidence).toMatchObject({ code, vantage: 'primary', fromSize: 10, toSize: 9 });
  });

  it('infrastructure severity is configurable', async () => {
    const x = harness(new MemoryStateStore(), { severity: { infrastructure: 'medium' } });
    await x.detector.start();
    await feed(x, anomaly('rate_limited', 'HTTP_RATE_LIMITED', { status: 429 }));
    expect(x.findings()[0]).toMatchObject({ severity: 'medium', category: 'infrastructure' });
    await x.detector.stop();
  });

  it('the same event delivered twice gives one finding id', async () => {
    const ev = anomaly('consistency_failed', 'TLOG_CONSISTENCY_MISMATCH', { fromSize: 5, toSize: 9 });
    await feed(h, ev, ev);
    const ids = new Set(h.findings().map((f) => f.findingId));
    expect(h.findings()).toHaveLength(2);
    expect(ids.size).toBe(1);
  });

  it('bad config fails with CONFIG_INVALID and the key path', () => {
    const ctx = {
      bus: new MemoryBus(),
      state: new MemoryStateStore(),
      logger: silentLogger,
      metrics: noopMetrics,
      dataDir: '/x',
      keys: new MemoryKeyProvider(),
      fail() {},
      now: () => clock,
    };
    expect(() => createLogIntegrityDetector({ severity: { stale: 'urgent' } } as never, ctx)).toThrowWithCode(ConfigError, 'CONFIG_INVALID', {
      issues: [expect.objectContaining({ path: 'detectors.logIntegrity.severity.stale' })],
    });
  });
});

describe('log-integrity: resolution of infrastructure trouble', () => {
  it('a verified checkpoint from the same vantage resolves with the same dedupKey', async () => {
    await feed(h, anomaly('unreachable', 'HTTP_UNREACHABLE', {}, 'mirror-eu'), anomaly('server_error', 'HTTP_SERVER_ERROR', { status: 503 }, 'mirror-eu'));
    await feed(h, checkpoint({ size: 10, root: rootOf(1), vantage: 'primary' }));
    expect(h.findings().filter((f) => f.status === 'resolved')).toEqual([]); // another vantage does not clear it
    await feed(h, checkpoint({ size: 10, root: rootOf(1), vantage: 'mirror-eu', min: 1 }));
    const resolved = h.findings().filter((f) => f.status === 'resolved');
    expect(resolved.map((f) => [f.rule, f.dedupKey, f.category]).sort()).toEqual([
      ['tlog.server_error', `tlog.server_error|${ORIGIN}|mirror-eu`, 'infrastructure'],
      ['tlog.unreachable', `tlog.unreachable|${ORIGIN}|mirror-eu`, 'infrastructure'],
    ]);
    await feed(h, checkpoint({ size: 11, root: rootOf(2), vantage: 'mirror-eu', min: 2 }));
    expect(h.findings().filter((f) => f.status === 'resolved')).toHaveLength(2); // resolved once
  });

  it('trouble reported before the origin was known (origin = log URL) resolves on the first verified checkpoint', async () => {
    // A collector that has never seen a checkpoint names the log by its URL; its first verified
    // checkpoint then carries the real origin. The condition must still clear.
    const early = makeEvent({
      type: TlogAnomalyEvent.type,
      source: 'chainwatch://collectors/rekor',
      subject: 'https://log.example.test',
      data: {
        origin: 'https://log.example.test',
        url: 'https://log.example.test',
        vantage: 'primary',
        kind: 'unreachable',
        code: 'HTTP_UNREACHABLE',
        message: 'down',
        evidence: {},
        observedAt: at(0),
      },
    });
    await feed(h, early, checkpoint({ size: 10, root: rootOf(1), vantage: 'mirror-eu' }));
    expect(h.findings().filter((f) => f.status === 'resolved')).toEqual([]); // another vantage does not clear it
    await feed(h, checkpoint({ size: 10, root: rootOf(1), vantage: 'primary', min: 1 }));
    expect(
      h
        .findings()
        .filter((f) => f.status === 'resolved')
        .map((f) => f.dedupKey),
    ).toEqual(['tlog.unreachable|https://log.example.test|primary']);
    await feed(h, checkpoint({ size: 11, root: rootOf(2), vantage: 'primary', min: 2 }));
    expect(h.findings().filter((f) => f.status === 'resolved')).toHaveLength(1); // once
  });

  it('security anomalies are never auto-resolved', async () => {
    await feed(h, anomaly('tree_shrank', 'TLOG_TREE_SHRANK', { fromSize: 10, toSize: 9 }), checkpoint({ size: 11, root: rootOf(3) }));
    expect(h.findings().map((f) => f.status)).toEqual(['firing']);
  });

  it('an unverified checkpoint is a signature finding and resolves nothing', async () => {
    await feed(h, anomaly('unreachable', 'HTTP_UNREACHABLE'), checkpoint({ size: 12, root: rootOf(4), verified: false }));
    const f = h.findings();
    expect(f.map((x) => [x.rule, x.status])).toEqual([
      ['tlog.unreachable', 'firing'],
      ['tlog.signature_invalid', 'firing'],
    ]);
    expect(f[1]!.dedupKey).toBe(`tlog.signature_invalid|${ORIGIN}`);
  });
});

describe('log-integrity: split view', () => {
  it('two vantages, one size, two roots -> critical split-view finding with both views', async () => {
    await feed(
      h,
      checkpoint({ size: 100, root: rootOf(1), vantage: 'primary' }),
      checkpoint({ size: 100, root: rootOf(9), vantage: 'witness:https://w.example', min: 1 }),
    );
    const [f] = h.findings();
    expect(f).toMatchObject({
      rule: 'tlog.split_view',
      severity: 'critical',
      category: 'security',
      status: 'firing',
      dedupKey: `tlog.split_view|${ORIGIN}|100`,
    });
    expect(f!.evidence).toMatchObject({
      treeSize: 100,
      sameVantage: false,
      first: { vantage: 'primary', rootHash: rootOf(1) },
      second: { vantage: 'witness:https://w.example', rootHash: rootOf(9) },
    });
    expect(f!.causedBy).toHaveLength(2);
  });

  it('agreeing vantages and hex/base64 spellings of one root are no split view', async () => {
    const hex = Buffer.alloc(32, 1).toString('hex');
    await feed(
      h,
      checkpoint({ size: 100, root: rootOf(1) }),
      checkpoint({ size: 100, root: hex, vantage: 'mirror' }),
      checkpoint({ size: 100, root: rootOf(1), vantage: 'witness' }),
    );
    expect(h.findings()).toEqual([]);
  });

  it('a vantage disagreeing with a size that another vantage later proved consistent', async () => {
    // primary sees 100 then proves 100 -> 150; the mirror later serves 100 with another root.
    await feed(h, checkpoint({ size: 100, root: rootOf(1) }), checkpoint({ size: 150, root: rootOf(2), consistentWith: 100, min: 1 }));
    await feed(h, checkpoint({ size: 100, root: rootOf(7), vantage: 'mirror', min: 2 }));
    const [f] = h.findings();
    expect(f!.evidence).toMatchObject({ first: { vantage: 'primary', provedConsistentUpTo: 150 }, second: { vantage: 'mirror' } });
  });

  it('the same vantage signing two roots for one size is flagged too', async () => {
    await feed(h, checkpoint({ size: 5, root: rootOf(1) }), checkpoint({ size: 5, root: rootOf(2), min: 1 }));
    expect(h.findings()[0]).toMatchObject({ rule: 'tlog.split_view', evidence: { sameVantage: true } });
  });

  it('a redelivered conflicting checkpoint yields the same finding id', async () => {
    const conflicting = checkpoint({ size: 100, root: rootOf(9), vantage: 'mirror', min: 1 });
    await feed(h, checkpoint({ size: 100, root: rootOf(1) }), conflicting, conflicting);
    expect(new Set(h.findings().map((f) => f.findingId)).size).toBe(1);
  });

  it('views survive a restart (state store) and stay bounded', async () => {
    const state = new MemoryStateStore();
    const a = harness(state, { splitView: { maxSizesPerOrigin: 2 } });
    await a.detector.start();
    await feed(a, checkpoint({ size: 1, root: rootOf(1) }), checkpoint({ size: 2, root: rootOf(2) }), checkpoint({ size: 3, root: rootOf(3) }));
    await a.detector.stop();
    const b = harness(state, { splitView: { maxSizesPerOrigin: 2 } });
    await b.detector.start();
    await feed(b, checkpoint({ size: 1, root: rootOf(8), vantage: 'mirror' }), checkpoint({ size: 3, root: rootOf(9), vantage: 'mirror' }));
    expect(b.findings().map((f) => f.dedupKey)).toEqual([`tlog.split_view|${ORIGIN}|3`]); // size 1 was evicted
    await b.detector.stop();
  });

  const rd = realdata();
  describe.skipIf(rd.skip)('with the real rekor.sigstore.dev checkpoint (realdata)', () => {
    it('a forged root at the real tree size from a mirror is a split view', async () => {
      const info = JSON.parse(readFileSync(join(rd.dir, 'rekor/api/log-info-rekor.sigstore.dev-treesize-266676745.json'), 'utf8')) as {
        rootHash: string;
        signedTreeHead: string;
        treeSize: number;
      };
      const [origin, size, root] = info.signedTreeHead.split('\n') as [string, string, string];
      expect(Number(size)).toBe(info.treeSize);
      const forged = Buffer.from(root, 'base64');
      forged[0]! ^= 0xff;
      await feed(
        h,
        checkpoint({ origin, size: info.treeSize, root, note: info.signedTreeHead }),
        checkpoint({ origin, size: info.treeSize, root: info.rootHash, vantage: 'mirror' }), // the API's hex root: same bytes
        checkpoint({ origin, size: info.treeSize, root: forged.toString('base64'), vantage: 'witness', min: 1 }),
      );
      const f = h.findings();
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({ rule: 'tlog.split_view', subject: origin, dedupKey: `tlog.split_view|${origin}|266676745` });
    });
  });
});

describe('log-integrity: stale logs', () => {
  it('fires once after the configured time without growth, resolves on growth', async () => {
    await feed(h, checkpoint({ size: 10, root: rootOf(1), min: 0 }));
    clock = new Date(at(29));
    await h.detector.tick();
    expect(h.findings()).toEqual([]);
    await feed(h, checkpoint({ size: 10, root: rootOf(1), min: 29 })); // verified, but no growth
    clock = new Date(at(31));
    await h.detector.tick();
    await h.detector.tick();
    expect(h.findings()).toHaveLength(1);
    expect(h.findings()[0]).toMatchObject({ rule: 'tlog.stale', status: 'firing', category: 'security', severity: 'medium', dedupKey: `tlog.stale|${ORIGIN}` });
    expect(h.findings()[0]!.evidence).toMatchObject({ lastSize: 10, mode: 'growth' });
    await feed(h, checkpoint({ size: 11, root: rootOf(2), min: 32 }));
    const last = h.findings().at(-1)!;
    expect(last).toMatchObject({ rule: 'tlog.stale', status: 'resolved', dedupKey: `tlog.stale|${ORIGIN}` });
  });

  it("mode 'verified' counts any verified checkpoint; per-origin thresholds apply", async () => {
    const x = harness(new MemoryStateStore(), { stale: { checkInterval: 0, mode: 'verified', after: 60 * 60_000, perOrigin: { [ORIGIN]: 10 * 60_000 } } });
    await x.detector.start();
    await feed(x, checkpoint({ size: 10, root: rootOf(1), min: 0 }), checkpoint({ size: 10, root: rootOf(1), min: 8 }));
    clock = new Date(at(15));
    await x.detector.tick();
    expect(x.findings()).toEqual([]);
    clock = new Date(at(19));
    await x.detector.tick();
    expect(x.findings().map((f) => f.rule)).toEqual(['tlog.stale']);
    await x.detector.stop();
  });

  it('a restart remembers last-seen per origin and that the stale finding already fired', async () => {
    const state = new MemoryStateStore();
    const a = harness(state);
    await a.detector.start();
    await feed(a, checkpoint({ size: 10, root: rootOf(1), min: 0 }));
    await a.detector.stop();

    clock = new Date(at(45));
    const b = harness(state);
    await b.detector.start();
    await b.detector.tick();
    expect(b.findings().map((f) => f.rule)).toEqual(['tlog.stale']);
    await b.detector.stop();

    const c = harness(state);
    await c.detector.start();
    await c.detector.tick();
    expect(c.findings()).toEqual([]); // already fired before this restart
    await c.detector.stop();
  });
});

describe('log-integrity: failures', () => {
  it('a failed publish leaves no trace in memory: the redelivered event still resolves', async () => {
    await feed(h, anomaly('unreachable', 'HTTP_UNREACHABLE', {}, 'mirror'));
    const publish = h.bus.publish.bind(h.bus);
    let failNext = true;
    // Fail the first finding publish only; the bus retries the handler (memory twin: 3 attempts).
    h.bus.publish = async (events, opts) => {
      const list = Array.isArray(events) ? events : [events];
      if (failNext && list.some((e) => e.type === 'dev.chainwatch.finding.v1')) {
        failNext = false;
        throw new Error('bus down');
      }
      return publish(events, opts);
    };
    await feed(h, checkpoint({ size: 100, root: rootOf(2), vantage: 'mirror', min: 1 }));
    expect(failNext).toBe(false);
    expect(h.findings().map((f) => [f.rule, f.status])).toEqual([
      ['tlog.unreachable', 'firing'],
      ['tlog.unreachable', 'resolved'],
    ]);
  });
});
