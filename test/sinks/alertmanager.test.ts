import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAlertmanagerSink } from '../../sinks/alertmanager/index.js';
import { type AlertPipeline, createAlertPipeline } from '../../sinks/alerts/index.js';
import { makeFinding, type RecordingServer, startRecordingProxy, type TestContext, testContext } from '../../core/testing/index.js';
import { service } from '../helpers/services.js';

const am = service('CHAINWATCH_TEST_ALERTMANAGER_URL', 'Alertmanager');
const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'services', 'alertmanager.sh');

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  endsAt: string;
  generatorURL?: string;
}

describe.skipIf(am.skip)('Alertmanager sink against a real Alertmanager', () => {
  let proxy: RecordingServer;
  let dir: string;
  let ctx: TestContext;
  let pipeline: AlertPipeline | undefined;
  // Each run uses its own label value so alerts of earlier runs never count.
  const run = `run-${process.pid}-${Date.now()}`;

  const alerts = async (): Promise<AmAlert[]> => {
    const res = await fetch(`${am.value}/api/v2/alerts?filter=${encodeURIComponent(`run="${run}"`)}`);
    return (await res.json()) as AmAlert[];
  };

  beforeAll(async () => {
    proxy = await startRecordingProxy(am.value!);
  });
  afterAll(async () => {
    await proxy.stop();
  });
  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(extra: Record<string, unknown> = {}): Promise<AlertPipeline> {
    dir = mkdtempSync(join(tmpdir(), 'cw-am-'));
    ctx = testContext(dir, Date.now());
    const sink = createAlertmanagerSink({ name: 'am', url: proxy.url, labels: { run }, ttl: '1h' });
    pipeline = createAlertPipeline(
      { auditUrl: 'https://chainwatch.example/audit/{findingId}', delivery: { baseDelay: 100, maxDelay: 800, pollInterval: 50, timeout: 5000 }, ...extra },
      ctx,
      [sink],
    );
    await pipeline.start();
    return pipeline;
  }

  it('raises an alert with the right labels and annotations, then resolves it', async () => {
    const p = await start();
    const f = makeFinding({ dedupKey: `${run}:fork`, labels: { team: 'sec' }, observedAt: new Date().toISOString() });
    p.ingest(f);
    expect(await p.drain()).toBe(true);
    const [a] = await vi.waitFor(
      async () => {
        const list = await alerts();
        expect(list.length, 'alert in Alertmanager').toBeGreaterThan(0);
        return list;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(a!.labels).toMatchObject({
      alertname: f.rule,
      severity: 'critical',
      category: 'security',
      dedupKey: f.dedupKey,
      subject: f.subject,
      team: 'sec',
      route: 'security',
    });
    expect(a!.annotations).toMatchObject({ summary: f.summary, audit_url: `https://chainwatch.example/audit/${f.findingId}` });
    expect(JSON.parse(a!.annotations.evidence!)).toEqual(f.evidence);
    expect(a!.generatorURL).toBe(`https://chainwatch.example/audit/${f.findingId}`);
    expect(a!.status.state).toBe('active');

    p.ingest(makeFinding({ dedupKey: f.dedupKey, status: 'resolved', severity: 'info', observedAt: new Date().toISOString() }));
    expect(await p.drain()).toBe(true);
    await vi.waitFor(async () => expect(await alerts(), 'alert resolved').toHaveLength(0), { timeout: 20_000, interval: 100 });
  });

  it('outage: Alertmanager down while findings arrive; after it returns every alert is delivered exactly once', async () => {
    const p = await start({ dedupWindow: '1h' });
    const from = proxy.requests.length;
    execFileSync('bash', [SCRIPT, 'kill'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const keys = Array.from({ length: 20 }, (_, i) => `${run}:outage-${i}`);
    for (let rep = 0; rep < 3; rep++) for (const k of keys) p.ingest(makeFinding({ dedupKey: k, observedAt: new Date().toISOString() }));
    for (const k of keys.slice(0, 5)) p.ingest(makeFinding({ dedupKey: k, status: 'resolved', observedAt: new Date().toISOString() }));
    // 20 triggers + 5 resolves queued; repeats within the window were suppressed, not queued.
    expect(p.pending('am')).toBe(25);
    await vi.waitFor(() => expect(proxy.requests.slice(from).filter((r) => r.status === 502).length, 'failed attempts while down').toBeGreaterThanOrEqual(3), {
      timeout: 20_000,
      interval: 100,
    });
    expect(p.pending('am')).toBe(25);
    execFileSync('bash', [SCRIPT, 'resume'], { stdio: ['ignore', 'ignore', 'inherit'] });
    expect(await p.drain(60_000)).toBe(true);

    const ok = proxy.requests.slice(from).filter((r) => r.method === 'POST' && r.status === 200);
    const perId = new Map<string, number>();
    for (const r of ok) perId.set(String(r.headers['idempotency-key']), (perId.get(String(r.headers['idempotency-key'])) ?? 0) + 1);
    expect(perId.size).toBe(25);
    expect([...perId.values()].every((n) => n === 1)).toBe(true);
    expect(ctx.metrics.get('alerts_dedup_suppressed_total', { route: 'security' })).toBe(40);
    expect(ctx.metrics.get('sink_notifications_delivered_total', { sink: 'am' })).toBe(25);
    expect(ctx.metrics.get('sink_delivery_retries_total', { sink: 'am' })).toBeGreaterThan(0);

    const active = await vi.waitFor(
      async () => {
        const list = await alerts();
        expect(list, '15 active alerts').toHaveLength(15);
        return list;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(active.map((a) => a.labels.dedupKey).sort()).toEqual(keys.slice(5).sort());
  });
});
