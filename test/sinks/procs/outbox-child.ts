/**
 * Child process of outbox-crash.test.ts: a pipeline with one webhook sink on a data dir. Every start
 * publishes ALL findings again (as a bus that never committed would redeliver them), ingests them,
 * drains the outbox and exits 0. The parent SIGKILLs it mid-delivery and starts it again.
 * argv: <dataDir> <receiverUrl>
 */
import { createAlertPipeline } from '../../../sinks/alerts/index.js';
import { findingEvent, makeFinding, testContext } from '../../../core/testing/index.js';
import { createWebhookSink } from '../../../sinks/webhook/index.js';

const [dataDir, url] = process.argv.slice(2) as [string, string];
const ctx = { ...testContext(dataDir), now: () => new Date() };
const pipeline = createAlertPipeline({ group: 'crash-test', dedupWindow: '1h', delivery: { baseDelay: 20, maxDelay: 100, pollInterval: 50 } }, ctx, [
  createWebhookSink({ name: 'hook', webhookUrl: url, secret: 'k' }),
]);
const findings = [];
for (let rep = 0; rep < 3; rep++) {
  for (let k = 0; k < 10; k++) findings.push(makeFinding({ findingId: `f-${rep}-${k}`, dedupKey: `key-${k}` }));
}
for (let k = 0; k < 3; k++) findings.push(makeFinding({ findingId: `r-${k}`, dedupKey: `key-${k}`, status: 'resolved' }));

await ctx.bus.publish(findings.map(findingEvent));
await pipeline.start();
await ctx.bus.waitCommitted('crash-test', 'chainwatch.findings', 30_000);
process.stdout.write('INGESTED\n');
const drained = await pipeline.drain(60_000);
await pipeline.stop();
process.stdout.write(drained ? 'DRAINED\n' : 'NOT DRAINED\n');
process.exit(drained ? 0 : 1);
