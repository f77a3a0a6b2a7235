/**
 * The audit trail as the daemon writes it: the audit sink (sinks/audit, default config) draining a
 * backlog from the embedded bus (default config, SQLite store), from sink start until every record
 * is in the store. This is the path a collector's catch-up takes, where the sink's group commit
 * sees only the records the bus hands it at once; bench/audit.bench.ts's store.append rows give it
 * 500 at a time. `maxInFlight` is the bus' per-partition handler concurrency (1: one record per
 * partition at a time, as the embedded bus did before 2026-12-06).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus, embeddedBusConfigSchema } from '../../bus/embedded/index.js';
import type { CloudEvent } from '../../core/index.js';
import { createAuditSink, parseAuditConfig } from '../../sinks/audit/index.js';
import { liveContext } from '../../test/helpers/context.js';

export interface SinkRun {
  /** records/s, wall clock */
  rate: number;
  /** CPU µs of this process per record (bus consume + sink) */
  cpu: number;
}

export async function auditSinkBacklog(events: readonly CloudEvent[], maxInFlight: number): Promise<SinkRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-sink-'));
  const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ maxInFlight }), path: join(dir, 'bus.db') });
  await bus.start();
  for (let i = 0; i < events.length; i += 500) await bus.publish(events.slice(i, i + 500));
  const state = bus.stateStore();
  const sink = createAuditSink(parseAuditConfig({}), liveContext(bus, state, dir));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sink.start();
  while ((await sink.store.size()) < events.length) await new Promise((r) => setTimeout(r, 10));
  const secs = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  await sink.stop();
  await bus.stop();
  state.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate: events.length / secs, cpu: (c.user + c.system) / events.length };
}
