/**
 * What ct-watch costs per CT entry (detectors/ct-watch/detector.ts), over every real certificate
 * in ../shared/realdata (x509/fulcio and ct/ct-go-testdata, each PEM CERTIFICATE block that parses):
 *   prefilter  an entry that carries no watched bytes: base64-decode the DER and search it for the
 *              watchlist's bytes (Watchlist.prefilter), which is all the detector does with it;
 *   parse      an entry that does: trust's X.509 parser (strict DER check + @peculiar/x509).
 * The watchlist is the example of docs/certificates.md. Rates are per CPU-second of this
 * single-threaded process (the machine is shared), measured in interleaved rounds; the ratio is
 * the median over rounds of prefilter rate / parse rate, i.e. how many unwatched entries cost what
 * one parsed entry costs.
 *
 *   npx tsx bench/ct-watch.bench.ts [--seconds 1] [--rounds 3]
 */
import { report } from './harness/report.js';
import { median } from './harness/spec.js';
import { benchSpec } from './harness/specs.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REALDATA } from '../core/testing/index.js';
import { ctWatchConfigSchema, Watchlist } from '../detectors/ct-watch/index.js';
import { loadX509 } from '../trust/index.js';

const arg = (name: string, dflt: number): number => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || dflt;
const seconds = arg('seconds', 1);
const rounds = arg('rounds', 3);

const { parseCertificate, parseCertificates } = await loadX509();
const ders: Buffer[] = [];
for (const dir of ['x509/fulcio', 'ct/ct-go-testdata']) {
  for (const f of readdirSync(join(REALDATA, dir)).filter((n) => n.endsWith('.pem'))) {
    try {
      ders.push(...parseCertificates(readFileSync(join(REALDATA, dir, f))).map((c) => c.der));
    } catch {
      // keys, and chains the strict parser refuses: not certificates a log would give the watcher
    }
  }
}
if (ders.length === 0) throw new Error(`no certificates under ${REALDATA}`);
const b64 = ders.map((d) => d.toString('base64'));

const watchlist = new Watchlist(
  ctWatchConfigSchema.parse({
    watch: {
      dnsNames: ['example.com', '.example.org', '*.api.example.net', 'bücher.example'],
      organizations: ['Example Inc'],
      issuers: ['Example Private CA'],
    },
  }),
);

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** Entries per CPU-second, cycling over the corpus, after a warm-up. */
function rate(fn: (i: number) => unknown): number {
  for (let i = 0; i < 200; i++) fn(i);
  let n = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) for (let k = 0; k < 50; k++) fn(n++);
  return (n / (cpuMs() - c0)) * 1000;
}

let sink = 0;
const prefilter = (i: number) => (sink += watchlist.prefilter(Buffer.from(b64[i % b64.length]!, 'base64')).length);
const parse = (i: number) => (sink += parseCertificate(ders[i % ders.length]!).scts.length);

const pre: number[] = [];
const full: number[] = [];
for (let r = 0; r < rounds; r++) {
  pre.push(rate(prefilter));
  full.push(rate(parse));
}
const derBytes = ders.reduce((s, d) => s + d.length, 0) / ders.length;
report(benchSpec('ct-watch'), {
  prefilter: median(pre),
  parse: median(full),
  pairedRatio: median(pre.map((p, i) => p / full[i]!)),
  corpus: ders.length,
  derBytes,
});
if (sink < 0) console.log(sink); // keeps the work observable
