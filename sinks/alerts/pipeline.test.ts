import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, HttpError, topicFor } from '../../core/index.js';
import { AlertPipelineError } from './errors.js';
import { type AlertPipeline, createAlertPipeline } from './pipeline.js';
import { findingEvent, makeFinding, RecordingSink, RecordingStorageMonitor, sqliteFullError, type TestContext, testContext } from '../../core/testing/index.js';
import { listDeadLetters, replayDeadLetters } from './dead-letters.js';

const fast = { baseDelay: 1, maxDelay: 5, pollInterval: 20, timeout: 2000 };
let dir: string;
let ctx: TestContext;
const running: AlertPipeline[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-alerts-'));
  ctx = testContext(dir);
});
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function pipeline(config: Record<string, unknown>, sinks: RecordingSink[], c: TestContext = ctx): Promise<AlertPipeline> {
  const p = createAlertPipeline({ sweepInterval: 3_600_000, ...config, delivery: { ...fast, ...(config.delivery as object) } }, c, sinks);
  running.push(p);
  await p.start();
  return p;
}

describe('routing', () => {
  it('sends security findings and infrastructure trouble to distinct default receivers', async () => {
    const soc = new RecordingSink('soc');
    const ops = new RecordingSink('ops');
    const p = await pipeline({ defaultReceivers: { security: ['soc'], infrastructure: ['ops'] } }, [soc, ops]);
    p.ingest(makeFinding({ category: 'security', dedupKey: 'a' }));
    p.ingest(makeFinding({ category: 'infrastructure', dedupKey: 'b', severity: 'medium' }));
    expect(await p.drain()).toBe(true);
    expect(soc.delivered.map((n) => [n.route, n.dedupKey])).toEqual([['security', 'a']]);
    expect(ops.delivered.map((n) => [n.route, n.dedupKey])).toEqual([['infrastructure', 'b']]);
  });

  it('matches severity >=, rule prefix, subject regex, tenant and labels; first match wins unless continue', async () => {
    const a = new RecordingSink('a');
    const b = new RecordingSink('b');
    const c = new RecordingSink('c');
    const p = await pipeline(
      {
        routes: [
          { name: 'tenant-x', match: { tenant: 'x', labels: { team: 'blue' } }, sinks: ['a'], continue: true },
          { name: 'critical-tlog', match: { severity: 'high', rule: 'tlog.*', subject: '^rekor\\.' }, sinks: ['b'] },
          { name: 'rest', sinks: ['c'] },
        ],
      },
      [a, b, c],
    );
    p.ingest(makeFinding({ dedupKey: 'k1', tenant: 'x', labels: { team: 'blue' }, severity: 'critical' })); // a + b
    p.ingest(makeFinding({ dedupKey: 'k2', severity: 'medium' })); // below high: c
    p.ingest(makeFinding({ dedupKey: 'k3', rule: 'registry.new_maintainer' })); // rule mismatch: c
    p.ingest(makeFinding({ dedupKey: 'k4', tenant: 'x', labels: { team: 'red' }, subject: 'ct.example' })); // c
    await p.drain();
    expect(a.delivered.map((n) => n.dedupKey)).toEqual(['k1']);
    expect(b.delivered.map((n) => n.dedupKey)).toEqual(['k1']);
    expect(c.delivered.map((n) => n.dedupKey)).toEqual(['k2', 'k3', 'k4']);
  });

  it('counts findings no route matches', async () => {
    const s = new RecordingSink('s');
    const p = await pipeline({ routes: [{ name: 'only-critical', match: { severity: 'critical' }, sinks: ['s'] }] }, [s]);
    expect(p.ingest(makeFinding({ severity: 'low' })).routes).toEqual([]);
    expect(ctx.metrics.get('alerts_unrouted_total')).toBe(1);
  });
});

describe('dedup, aggregation, resolve', () => {
  it('sends repeats within the window once, then an update carrying occurrences since firstSeen', async () => {
    const s = new RecordingSink('s');
    const p = await pipeline({ dedupWindow: '10m' }, [s]);
    const first = makeFinding({ dedupKey: 'k' });
    p.ingest(first);
    for (let i = 0; i < 4; i++) {
      ctx.clock.ms += 60_000;
      p.ingest(makeFinding({ dedupKey: 'k' }));
    }
    await p.drain();
    expect(s.delivered.map((n) => [n.action, n.occurrences])).toEqual([['trigger', 1]]);
    expect(ctx.metrics.get('alerts_dedup_suppressed_total', { route: 'security' })).toBe(4);
    ctx.clock.ms += 10 * 60_000; // window over
    await p.flush();
    await p.drain();
    const update = s.delivered[1]!;
    expect([update.action, update.occurrences, update.firstSeen]).toEqual(['update', 5, first.observedAt]);
    expect(update.lastSeen > update.firstSeen).toBe(true);
    expect(update.id).not.toBe(s.delivered[0]!.id);
    await p.flush(); // nothing pending: no further update
    await p.drain();
    expect(s.delivered).toHaveLength(2);
  });

  it('sends a repeat that arrives after the window at once, as an update', async () => {
    const s = new RecordingSink('s');
    const p = await pipeline({ dedupWindow: '5m' }, [s]);
    p.ingest(makeFinding({ dedupKey: 'k' }));
    ctx.clock.ms += 6 * 60_000;
    p.ingest(makeFinding({ dedupKey: 'k' }));
    await p.drain();
    expect(s.delivered.map((n) => [n.action, n.occurrences])).toEqual([
      ['trigger', 1],
      ['update', 2],
    ]);
  });

  it('resolves an open dedupKey, ignores a resolve for an unknown one, and re-triggers afterwards', async () => {
    const s = new RecordingSink('s');
    const p = await pipeline({}, [s]);
    p.ingest(makeFinding({ dedupKey: 'k' }));
    p.ingest(makeFinding({ dedupKey: 'k', status: 'resolved' }));
    p.ingest(makeFinding({ dedupKey: 'other', status: 'resolved' }));
    p.ingest(makeFinding({ dedupKey: 'k' }));
    await p.drain();
    expect(s.delivered.map((n) => [n.dedupKey, n.action])).toEqual([
      ['k', 'trigger'],
      ['k', 'resolve'],
      ['k', 'trigger'],
    ]);
    expect(new Set(s.delivered.map((n) => n.id)).size).toBe(3);
    expect(ctx.metrics.get('alerts_resolve_unmatched_total', { route: 'security' })).toBe(1);
  });

  it('ignores a redelivered finding (same findingId)', async () => {
    const s = new RecordingSink('s');
    const p = await pipeline({}, [s]);
    const f = makeFinding({ dedupKey: 'k' });
    p.ingest(f);
    expect(p.ingest(f).duplicate).toBe(true);
    ctx.clock.ms += 2 * 3_600_000;
    await p.flush();
    await p.drain();
    expect(s.delivered.map((n) => n.occurrences)).toEqual([1]);
  });

  it('passes the externalRef a sink returned to later notifications of the same key', async () => {
    const s = new RecordingSink('s', (n) => (n.action === 'trigger' ? { externalRef: 'TICKET-7' } : {}));
    const p = await pipeline({}, [s]);
    p.ingest(makeFinding({ dedupKey: 'k' }));
    p.ingest(makeFinding({ dedupKey: 'k', status: 'resolved' }));
    await p.drain();
    expect(s.delivered.map((n) => n.externalRef)).toEqual([undefined, 'TICKET-7']);
  });

  it('links each notification to its audit record', async () => {
    const s = new RecordingSink('s');
    const p = await pipeline({ auditUrl: 'https://cw.example/audit/{findingId}?k={dedupKey}' }, [s]);
    const f = makeFinding({ dedupKey: 'a b' });
    p.ingest(f);
    await p.drain();
    expect(s.delivered[0]!.auditUrl).toBe(`https://cw.example/audit/${f.findingId}?k=a%20b`);
  });
});

describe('throttling', () => {
  it('holds excess notifications, counts them, and sends them aggregated when the budget returns', async () => {
    const s = new RecordingSink('s');
    const p = await pipeline({ routes: [{ name: 'r', sinks: ['s'], throttle: { max: 2, interval: '1m' } }] }, [s]);
    for (const k of ['a', 'b', 'c', 'd']) p.ingest(makeFinding({ dedupKey: k }));
    p.ingest(makeFinding({ dedupKey: 'c' })); // a repeat of a held key aggregates into it
    await p.drain();
    expect(s.delivered.map((n) => n.dedupKey)).toEqual(['a', 'b']);
    expect(ctx.metrics.get('alerts_throttled_total', { route: 'r' })).toBe(2);
    ctx.clock.ms += 61_000;
    await p.flush();
    await p.drain();
    expect(s.delivered.map((n) => [n.dedupKey, n.action, n.occurrences])).toEqual([
      ['a', 'trigger', 1],
      ['b', 'trigger', 1],
      ['c', 'trigger', 2],
      ['d', 'trigger', 1],
    ]);
  });

  it("never throttles a resolve; a held trigger's counts ride on it", async () => {
    const s = new RecordingSink('s');
    const p = await pipeline({ routes: [{ name: 'r', sinks: ['s'], throttle: { max: 1, interval: '1h' } }] }, [s]);
    p.ingest(makeFinding({ dedupKey: 'a' }));
    p.ingest(makeFinding({ dedupKey: 'b' }));
    p.ingest(makeFinding({ dedupKey: 'b', status: 'resolved' }));
    await p.drain();
    expect(s.delivered.map((n) => [n.dedupKey, n.action, n.occurrences])).toEqual([
      ['a', 'trigger', 1],
      ['b', 'resolve', 1],
    ]);
  });
});

describe('delivery', () => {
  it('retries 5xx and 429 (honouring Retry-After) and delivers once', async () => {
    const s = new RecordingSink('s', (_n, call) => {
      if (call === 1) throw new HttpError('HTTP_SERVER_ERROR', 'boom', { status: 503 });
      if (call === 2) throw new HttpError('HTTP_RATE_LIMITED', 'slow down', { status: 429, retryAfterMs: 150 });
      return {};
    });
    const p = await pipeline({}, [s]);
    p.ingest(makeFinding());
    const t0 = Date.now();
    await p.drain();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(s.calls).toHaveLength(3);
    expect(s.delivered).toHaveLength(1);
    expect(ctx.metrics.get('sink_delivery_retries_total', { sink: 's' })).toBe(2);
    expect(ctx.metrics.get('sink_notifications_delivered_total', { sink: 's' })).toBe(1);
    expect(ctx.metrics.get('sink_outbox_queued', { sink: 's' })).toBe(0);
  });

  it('dead-letters a non-retriable rejection; replay delivers it with the same id', async () => {
    let reject = true;
    const s = new RecordingSink('s', () => {
      if (reject) throw new HttpError('HTTP_CLIENT_ERROR', 'bad request', { status: 400 });
      return {};
    });
    const p = await pipeline({}, [s]);
    p.ingest(makeFinding());
    await p.drain();
    expect(s.calls).toHaveLength(1);
    const dead = listDeadLetters(p.dbFile);
    expect(dead.map((d) => [d.sink, d.code, d.attempts])).toEqual([['s', 'HTTP_CLIENT_ERROR', 1]]);
    expect(ctx.metrics.get('sink_notifications_dead_lettered_total', { sink: 's' })).toBe(1);
    reject = false;
    expect(replayDeadLetters(p.dbFile, { ids: [dead[0]!.id] })).toBe(1);
    await new Promise((r) => setTimeout(r, 60)); // the worker polls its outbox
    await p.drain();
    expect(s.delivered.map((n) => n.id)).toEqual([dead[0]!.id]);
    expect(listDeadLetters(p.dbFile)).toEqual([]);
  });

  it('never dead-letters a delivered notification when recording the outcome fails: the worker fails, the row stays pending', async () => {
    const s = new RecordingSink('s');
    const p = await pipeline({}, [s]);
    const bus = ctx.bus;
    const real = bus.publish.bind(bus);
    let failures = 5; // recordDelivery's whole retry budget
    bus.publish = async (...args: Parameters<typeof bus.publish>) => {
      if (failures > 0) {
        failures--;
        throw new Error('broker down');
      }
      return real(...args);
    };
    p.ingest(makeFinding());
    await vi.waitFor(() => expect(ctx.errors.length, 'the worker failed').toBeGreaterThan(0), { timeout: 10_000, interval: 25 });
    await new Promise((r) => setTimeout(r, 100)); // give a (wrong) dead-lettering the time to happen
    expect(s.delivered).toHaveLength(1);
    expect(listDeadLetters(p.dbFile)).toEqual([]);
    expect(p.pending('s')).toBe(1); // redelivered (same id) after the supervisor restarts the component
    expect(ctx.errors.map((e) => (e as AlertPipelineError).code)).toEqual(['ALERTS_STORE_FAILED']);
    expect(bus.events(topicFor('audit')).filter((e) => (e.data as { outcome?: string }).outcome === 'dead_lettered')).toEqual([]);
  }, 15_000);

  it('dead-letters after maxAttempts of retriable failures', async () => {
    const s = new RecordingSink('s', () => {
      throw new HttpError('HTTP_SERVER_ERROR', 'down', { status: 500 });
    });
    const p = await pipeline({ delivery: { maxAttempts: 3 } }, [s]);
    p.ingest(makeFinding());
    await p.drain();
    expect(s.calls).toHaveLength(3);
    expect(listDeadLetters(p.dbFile).map((d) => [d.code, d.attempts])).toEqual([['HTTP_SERVER_ERROR', 3]]);
  });

  it('keeps outbox and dedup state across a restart: no re-page, nothing lost', async () => {
    const down = new RecordingSink('s', () => {
      throw new HttpError('HTTP_UNREACHABLE', 'down');
    });
    const p1 = await pipeline({ delivery: { baseDelay: 50, maxDelay: 50 } }, [down]);
    p1.ingest(makeFinding({ dedupKey: 'k' }));
    p1.ingest(makeFinding({ dedupKey: 'j' }));
    await new Promise((r) => setTimeout(r, 30));
    expect(ctx.metrics.get('sink_outbox_queued', { sink: 's' })).toBe(2);
    await p1.stop();
    expect(down.closed).toBe(true);
    const up = new RecordingSink('s');
    const p2 = await pipeline({}, [up]);
    p2.ingest(makeFinding({ dedupKey: 'k' })); // within the window: suppressed, even after restart
    await p2.drain();
    expect(up.delivered.map((n) => [n.dedupKey, n.action])).toEqual([
      ['k', 'trigger'],
      ['j', 'trigger'],
    ]);
  });

  it('commits the bus offset only after the outbox write (consumes from the findings topic)', async () => {
    const s = new RecordingSink('s');
    const p = await pipeline({ group: 'g1' }, [s]);
    await ctx.bus.publish([findingEvent(makeFinding({ dedupKey: 'x' })), findingEvent(makeFinding({ dedupKey: 'y' }))]);
    await ctx.bus.waitCommitted('g1', topicFor('findings'));
    expect(p.pending('s') + s.delivered.length).toBe(2);
    await p.drain();
    expect(s.delivered.map((n) => n.dedupKey)).toEqual(['x', 'y']);
  });
});

describe('lifecycle', () => {
  it('leaves nothing half-started when subscribing fails, and starts on the next try; stop is idempotent', async () => {
    const s = new RecordingSink('s');
    const subscribe = ctx.bus.subscribe.bind(ctx.bus);
    let fail = true;
    ctx.bus.subscribe = async (opts) => {
      if (fail) throw new Error('bus unavailable');
      return subscribe(opts);
    };
    const p = createAlertPipeline({ delivery: fast }, ctx, [s]);
    running.push(p);
    await expect(p.start()).rejects.toThrow();
    expect(p.health()).toEqual({ ready: false, detail: 'not started' });
    expect(s.closed).toBe(false);
    fail = false;
    await p.start();
    p.ingest(makeFinding());
    expect(await p.drain()).toBe(true);
    await p.stop();
    await p.stop();
    expect(s.closed).toBe(true);
  });
});

describe('config', () => {
  it('rejects a route naming an unknown sink', () => {
    expect(() => createAlertPipeline({ routes: [{ name: 'r', sinks: ['nope'] }] }, ctx, [new RecordingSink('s')])).toThrowWithCode(
      AlertPipelineError,
      'ALERTS_UNKNOWN_SINK',
    );
  });
  it('rejects two routes with one name (dedup state is per route name: the second would be suppressed by the first)', () => {
    const a = new RecordingSink('a');
    const b = new RecordingSink('b');
    const routes = [
      { name: 'sec', sinks: ['a'], continue: true },
      { name: 'other', sinks: [] },
      { name: 'sec', sinks: ['b'] },
    ];
    expect(() => createAlertPipeline({ routes }, ctx, [a, b])).toThrowWithCode(ConfigError, 'CONFIG_INVALID', {
      issues: [expect.objectContaining({ path: 'alerts.routes.2.name' })],
    });
  });
  it('rejects bad keys with ConfigError', () => {
    expect(() => createAlertPipeline({ dedupWindow: 'soon', routes: [{ name: 'R!', sinks: [] }] }, ctx, [])).toThrowWithCode(ConfigError, 'CONFIG_INVALID', {
      issues: [expect.objectContaining({ path: 'alerts.routes.0.name' }), expect.objectContaining({ path: 'alerts.dedupWindow' })],
    });
  });
});

describe('storage faults', () => {
  it('a sweep that writes after a failed one reports the alerts store recovered; one with nothing to do does not', async () => {
    const storage = new RecordingStorageMonitor();
    const c: TestContext = { ...ctx, storage };
    const s = new RecordingSink('s');
    const p = await pipeline({ dedupWindow: '10m' }, [s], c);
    p.ingest(makeFinding({ dedupKey: 'k' }));
    p.ingest(makeFinding({ dedupKey: 'k' })); // a repeat: an update is due when the window ends
    expect(await p.drain()).toBe(true);
    const engine = (p as unknown as { engine: { sweep(nowMs: number): number } }).engine;
    vi.spyOn(engine, 'sweep').mockImplementationOnce(() => {
      throw sqliteFullError();
    });
    await p.flush(); // the disk is full: reported
    const since = storage.events.length - 1;
    expect(storage.events[since]).toBe('failing alerts SQLITE_FULL');
    await p.flush(); // nothing due: a sweep that wrote nothing proves nothing
    expect(storage.events.slice(since)).toEqual(['failing alerts SQLITE_FULL']);
    ctx.clock.ms += 11 * 60_000; // the window ended: the update is written
    await p.flush();
    expect(storage.events.slice(since)).toEqual(['failing alerts SQLITE_FULL', 'ok alerts']);
  });
});
