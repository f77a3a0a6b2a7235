/**
 * Registry webhook intake: distribution deliveries per second through the real router to durable
 * acceptance (parse, seen-set lookup, EmbeddedBus publish on a file with its committed write,
 * seen-set put, 202), against the same router's raw rate on a trivial authenticated POST route
 * (202 without work), measured in the same run with the same client concurrency.
 * Run: node --import tsx bench/registry-intake.bench.ts [--n 2000] [--concurrency 16]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus, embeddedBusConfigSchema } from '../bus/embedded/index.js';
import { registryModule, registrySectionSchema } from '../collectors/registry/index.js';
import { type HttpRoute, silentLogger } from '../core/index.js';
import { testContext } from '../core/testing/index.js';
import { HttpServer } from '../daemon/http/server.js';
import { report } from './harness/report.js';
import { benchSpec } from './harness/specs.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => Number(args[args.indexOf(`--${name}`) + 1] || dflt) || dflt;
const N = opt('n', 2000);
const CONCURRENCY = opt('concurrency', 16);
const TOKEN = 'bench-notify-token';
const CT = 'application/vnd.docker.distribution.events.v1+json';

const dir = mkdtempSync(join(tmpdir(), 'cw-bench-registry-'));
const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({}), path: join(dir, 'bus.db') });
await bus.start();
const ctx = { ...testContext(dir, Date.now()), bus, state: bus.stateStore(), now: () => new Date() };
const section = registrySectionSchema.parse({ distribution: { bearer: [{ token: TOKEN, principal: 'bench' }] } })!;
const host = { dataDir: dir, instance: 'bench', publicUrl: undefined, facts: {} };
const component = registryModule.components!(section, host)[0]!.create(ctx);
await component.start();
const trivial: HttpRoute = {
  name: 'bench.trivial',
  method: 'POST',
  path: '/trivial',
  auth: { kind: 'bearer', tokens: [{ token: section.distribution!.bearer[0]!.token, principal: 'bench' }] },
  body: { maxBytes: 1024 * 1024, contentTypes: [CT] },
  handler: async () => ({ status: 202, body: { status: 'accepted' } }),
};
const server = new HttpServer({
  ready: () => ({ ready: true, checks: {} }),
  metrics: async () => ({ body: '', contentType: 'text/plain' }),
  logger: silentLogger,
});
server.setRoutes([...registryModule.routes!(section, host), trivial]);
const base = `http://127.0.0.1:${(await server.start('127.0.0.1', 0)).port}`;

const envelope = (i: number, round: string): string =>
  JSON.stringify({
    events: [
      {
        id: `${round}-${i}`,
        timestamp: new Date().toISOString(),
        action: 'push',
        target: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${i.toString(16).padStart(64, '0')}`,
          size: 423,
          repository: 'bench/app',
          tag: `v${i}`,
        },
        request: { host: '127.0.0.1:5000' },
        actor: { name: 'bench' },
      },
    ],
  });

/** Deliveries per second to `path` with CONCURRENCY clients; every answer must be 202. */
async function rate(path: string, round: string): Promise<number> {
  const bodies = Array.from({ length: N }, (_, i) => envelope(i, round));
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const res = await fetch(`${base}${path}`, { method: 'POST', body: bodies[next++]!, headers: { 'content-type': CT, authorization: `Bearer ${TOKEN}` } });
        await res.arrayBuffer();
        if (res.status !== 202) throw new Error(`${path}: HTTP ${res.status}`);
      }
    }),
  );
  return (N / (performance.now() - t)) * 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const intake: number[] = [];
const raw: number[] = [];
const ratios: number[] = [];
await rate('/trivial', 'warm');
await rate('/webhooks/distribution', 'warm');
for (let r = 0; r < 3; r++) {
  const a = await rate('/trivial', `raw${r}`);
  const b = await rate('/webhooks/distribution', `r${r}`);
  raw.push(a);
  intake.push(b);
  ratios.push(b / a);
}
await server.stop();
await component.stop();
await bus.stop();
rmSync(dir, { recursive: true, force: true });

report(benchSpec('registry-intake'), { intake: median(intake), routerRaw: median(raw), pairedRatio: median(ratios), deliveries: N, concurrency: CONCURRENCY });
