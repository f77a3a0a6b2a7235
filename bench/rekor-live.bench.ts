/**
 * Rekor live path: CPU of this process per entry while the Rekor v1 collector catches up on a REAL
 * rekor-server (scripts/services/rekor.sh: MariaDB + Trillian + rekor-server; `npm run bench`
 * starts it) holding --entries signed hashedrekord entries (added first: harness/rekor-load.ts),
 * publishing onto the embedded bus (the default) with its cursor in the bus database, as the
 * daemon runs it. Beside it, in the same run and on the same entries (fetched once), the offline
 * cost of verifyV1Entry alone: what rekor.bench.ts measures from a recording. Rounds alternate
 * (offline, live, offline, live, ...); the ratio is the median of the rounds' live / offline.
 * The rate limit is lifted for the catch-up (collectors.rekor[].rateLimit.requestsPerSecond; the
 * default of 20 is polite to public logs and would make this a measurement of the limit).
 *
 *   CHAINWATCH_TEST_REKOR_URL=... npx tsx bench/rekor-live.bench.ts [--entries 3000] [--rounds 3]
 */
import { report } from './harness/report.js';
import { median } from './harness/spec.js';
import { benchSpec } from './harness/specs.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus, embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { createRekorCollector, hexBytes, RekorV1Client, type RekorCollector, type V1LogEntry, verifyV1Entry } from '../collectors/rekor/index.js';
import { HttpClient } from '../core/index.js';
import { logKeyFromPem } from '../trust/index.js';
import { fillRekor } from './harness/rekor-load.js';
import { rekorMonitorSide } from './harness/rekor-monitor.js';
import { liveContext } from '../test/helpers/context.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ENTRIES = arg('entries', 3000);
const ROUNDS = arg('rounds', 3);
const url = process.env.CHAINWATCH_TEST_REKOR_URL;
if (!url) throw new Error('CHAINWATCH_TEST_REKOR_URL is not set: start scripts/services/rekor.sh (npm run bench -- rekor-live does)');

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const size = await fillRekor(url, ENTRIES, 16, (s) => console.error(`   ${s}`));
const publicKey = await (await fetch(`${url}/api/v1/log/publicKey`)).text();
const key = logKeyFromPem(publicKey);

/** Every entry of the log, fetched once, and the verified root their proofs lead to. */
async function fetchAll(): Promise<{ entries: V1LogEntry[]; roots: Map<number, Buffer> }> {
  const client = new RekorV1Client(url!, new HttpClient({ peer: url!, timeoutMs: 30_000 }));
  const info = await client.logInfo();
  const entries: V1LogEntry[] = [];
  for (let i = 0; i < info.treeSize; i += 10) entries.push(...(await client.entries(Array.from({ length: Math.min(10, info.treeSize - i) }, (_, k) => i + k))));
  return { entries, roots: new Map([[info.treeSize, hexBytes(info.rootHash, 'root')]]) };
}
const all = await fetchAll();

/** verifyV1Entry over every entry (repeated to at least ~0.5 s of CPU): CPU µs per entry. */
function offline(): number {
  const ctx = { key, shardOffset: 0, verifySet: true, log: { origin: 'bench', url: url! }, verifiedRoot: (n: number) => all.roots.get(n) };
  let n = 0;
  const c0 = cpuNow();
  while (n < all.entries.length || cpuNow() - c0 < 500_000) {
    for (const e of all.entries) verifyV1Entry(e, e.logIndex, ctx);
    n += all.entries.length;
  }
  return (cpuNow() - c0) / n;
}

/** One catch-up from index 0 to the tree size on a fresh data directory: CPU µs per entry and entries/s. */
async function live(): Promise<{ cpu: number; rate: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-rekor-live-'));
  const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({}), path: join(dir, 'bus.db') });
  await bus.start();
  const state = bus.stateStore();
  const collector = createRekorCollector(
    { url: url!, publicKey, start: 'beginning', pollInterval: '1h', rateLimit: { requestsPerSecond: 10_000 } },
    liveContext(bus, state, dir),
  ) as RekorCollector;
  const c0 = cpuNow();
  const t0 = performance.now();
  await collector.start();
  const done = (): boolean => (collector.cursor()?.verified ?? 0) >= size;
  while (!done()) await new Promise((r) => setTimeout(r, 20));
  const cpu = (cpuNow() - c0) / size;
  const secs = (performance.now() - t0) / 1000;
  await collector.stop();
  await bus.stop();
  state.close();
  rmSync(dir, { recursive: true, force: true });
  return { cpu, rate: size / secs };
}

// sigstore/rekor-monitor on the same log, when its round binary is there (harness/rekor-monitor.ts).
const monitor = rekorMonitorSide(url, publicKey, size);
offline(); // warm-up
if ('round' in monitor) await monitor.round();
await live();
const off: number[] = [];
const on: { cpu: number; rate: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  off.push(offline());
  if ('round' in monitor) await monitor.round();
  on.push(await live());
}
report(
  benchSpec('rekor-live'),
  {
    entries: size,
    liveCpu: median(on.map((s) => s.cpu)),
    offlineCpu: median(off),
    liveRate: median(on.map((s) => s.rate)),
    pairedRatio: median(on.map((s, i) => s.cpu / off[i]!)),
    ...('round' in monitor ? monitor.values(on) : {}),
  },
  'skipped' in monitor ? [monitor.skipped] : [],
);
