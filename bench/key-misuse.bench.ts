/**
 * What the key-misuse detector costs per event (detectors/key-misuse/detector.ts): artifact.verified
 * events signed by REAL Fulcio certificates (x509/fulcio, through trust's parser), a quarter of
 * them failing a policy, handled one at a time against an in-memory state store with one
 * revocation known, so every rule runs. Baseline, measured in the same rounds: what any consumer
 * pays for the same events anyway, JSON.parse + CloudEvent and payload validation. Rates are per
 * CPU-second of this single-threaded process; the ratio is the median over interleaved rounds of
 * detector rate / baseline rate.
 *
 *   npx tsx bench/key-misuse.bench.ts [--seconds 1] [--rounds 3]
 */
import { report } from './harness/report.js';
import { median } from './harness/spec.js';
import { benchSpec } from './harness/specs.js';
import { validateEvent } from '../core/index.js';
import { REALDATA } from '../core/testing/index.js';
import { artifactEvent, certSigner, CERTS, harness, revokedEvent, within } from '../detectors/key-misuse/testing/index.js';

const arg = (name: string, dflt: number): number => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || dflt;
const seconds = arg('seconds', 1);
const rounds = arg('rounds', 3);

const signers = Object.values(CERTS).map((f) => certSigner(REALDATA, f));
const CORPUS = 512;
const lines = Array.from({ length: CORPUS }, (_, i) => {
  const s = signers[i % signers.length]!;
  const policies = i % 4 === 0 ? [{ result: 'fail' as const, failures: ['signer_not_allowed'], reasons: ['not allowed'] }] : [{ result: 'pass' as const }];
  return JSON.stringify(
    artifactEvent({
      repository: `acme/app-${i % 16}`,
      digest: `sha256:${i.toString(16).padStart(64, '0')}`,
      signed: [{ signer: s, at: within(s, i % 500) }],
      policies,
    }),
  );
});

const h = await harness({
  expectedIssuers: ['https://token.actions.githubusercontent.com'],
  ciRequirements: [{ name: 'ci', repositories: ['github.com/*'] }],
  relatedRepositories: [['ghcr.io/acme/*']],
});
await h.detector.handle(revokedEvent({ kind: 'key', keyId: signers[0]!.keyId!, revokedAt: within(signers[0]!, 250) }));

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** Events per CPU-second, cycling over the corpus, after a warm-up. */
async function rate(fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 200; i++) await fn(i);
  let n = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) for (let k = 0; k < 20; k++) await fn(n++);
  return (n / (cpuMs() - c0)) * 1000;
}

let sink = 0;
const baseline = (i: number) => (sink += validateEvent(JSON.parse(lines[i % CORPUS]!)).id.length);
const detector = async (i: number) => {
  await h.detector.handle(validateEvent(JSON.parse(lines[i % CORPUS]!)));
  sink += 1;
};

const base: number[] = [];
const det: number[] = [];
for (let r = 0; r < rounds; r++) {
  base.push(await rate(baseline));
  det.push(await rate(detector));
}
report(benchSpec('key-misuse'), {
  detector: median(det),
  baseline: median(base),
  pairedRatio: median(det.map((d, i) => d / base[i]!)),
  corpus: CORPUS,
  eventBytes: lines.reduce((s, l) => s + l.length, 0) / CORPUS,
});
await h.detector.stop();
if (sink < 0) console.log(sink); // keeps the work observable
