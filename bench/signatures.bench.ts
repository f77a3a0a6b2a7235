/**
 * collectors.signatures: how many digests per second get their signatures discovered and checked
 * against the real local registry (scripts/services/ocireg.sh, ggcr with the referrers API), cold
 * (a fresh OCI client: every manifest and layer fetched: cosign tags, referrers, referrer manifests
 * and blobs, then trust/oci's verifyDiscovered) and warm (an admission `verify` answered from the state-store cache: one SQLite read).
 * Baseline in the same run: `cosign verify --key` wall time for the same digest (the CLI a user would
 * run instead), when CHAINWATCH_COSIGN is set (scripts/services/cosign.sh); without it the baseline
 * figures are left out. Wall-clock rates: the work is network-bound on loopback.
 *
 *   npx tsx bench/signatures.bench.ts [--seconds 2] [--rounds 3]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { discover, isFresh, ResultCache } from '../collectors/signatures/index.js';
import { OciClient } from '../collectors/shared/oci/index.js';
import type { ArtifactVerified } from '../core/index.js';
import { SqliteStateStore } from '../stores/sqlite/index.js';
import { type OciTrustOptions, verifyDiscovered } from '../trust/index.js';
import { attachSbom, pushImage } from '../test/helpers/oci.js';
import { report } from './harness/report.js';
import { benchSpec } from './harness/specs.js';

const arg = (name: string, dflt: number): number => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || dflt;
const seconds = arg('seconds', 2);
const rounds = arg('rounds', 3);
const host = process.env.CHAINWATCH_TEST_OCIREG_HOST;
if (!host) throw new Error('CHAINWATCH_TEST_OCIREG_HOST is unset: run through `npm run bench -- signatures` (starts ocireg)');
const cosign = process.env.CHAINWATCH_COSIGN;
const run = promisify(execFile);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const repo = `bench/sig-${Date.now().toString(36)}`;
const digest = await pushImage(host, repo, 'v1');
await attachSbom(host, repo, digest);
const ref = `${host}/${repo}@${digest}`;
const dir = mkdtempSync(join(tmpdir(), 'cw-bench-sig-'));
if (cosign) {
  const env = { ...process.env, COSIGN_PASSWORD: '' };
  await run(cosign, ['generate-key-pair'], { cwd: dir, env });
  await run(cosign, ['sign', '--yes', '--key', 'cosign.key', '--use-signing-config=false', '--tlog-upload=false', '--allow-http-registry', ref], {
    cwd: dir,
    env,
  });
}
const trust: OciTrustOptions = { keys: cosign ? [{ name: 'bench', publicKeyPem: readFileSync(join(dir, 'cosign.pub'), 'utf8') }] : [] };
const limits = { maxLayerBytes: 4 * 1024 * 1024, maxReferrers: 32 };

/** Operations per wall-second for `seconds`, after two warm-up calls. */
async function rate(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  await fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await fn();
    n++;
  }
  return (n / (performance.now() - t0)) * 1000;
}

let found = 0;
const cold = async (): Promise<void> => {
  const client = new OciClient({ registry: host });
  const d = await discover(client, repo, digest, limits);
  if (d.errors.length > 0) throw new Error(`discovery failed: ${d.errors[0]!.code}`);
  const v = verifyDiscovered(d.artifacts, { digest, reference: ref }, trust);
  if (cosign && !v.signatures.some((s) => s.verified)) throw new Error('the cosign signature did not verify');
  found = d.artifacts.length;
};

const state = new SqliteStateStore(join(dir, 'state.db'));
const cache = new ResultCache(state, 'bench');
const now = new Date();
const cached: ArtifactVerified = {
  image: { registry: host, repository: repo, digest },
  tags: ['v1'],
  trigger: { source: 'cli', deliveryId: 'bench', action: 'verify' },
  signatures: [],
  attestations: [],
  policies: [],
  verdict: 'no_policy',
  discoveryErrors: [],
  checkedAt: now.toISOString(),
  validUntil: new Date(now.getTime() + 3_600_000).toISOString(),
};
await cache.put(cached);
const warm = async (): Promise<void> => {
  if (!isFresh(await cache.get(cached.image), new Date())) throw new Error('cache miss');
};

const cosignVerify = async (): Promise<void> => {
  await run(cosign!, ['verify', '--key', 'cosign.pub', '--insecure-ignore-tlog=true', '--allow-http-registry', ref], { cwd: dir });
};

const colds: number[] = [];
const warms: number[] = [];
const cosigns: number[] = [];
for (let r = 0; r < rounds; r++) {
  colds.push(await rate(cold));
  warms.push(await rate(warm));
  if (cosign) cosigns.push(await rate(cosignVerify));
}
state.close();
report(
  benchSpec('signatures'),
  {
    cold: median(colds),
    warm: median(warms),
    ...(cosign ? { cosignVerify: median(cosigns), pairedRatio: median(colds.map((c, i) => c / cosigns[i]!)) } : {}),
    artifacts: found,
  },
  cosign ? [] : ['CHAINWATCH_COSIGN unset: no cosign baseline in this run'],
);
