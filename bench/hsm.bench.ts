/**
 * Audit checkpoint signatures per second with the key in a PKCS#11 token (SoftHSM2, keys/pkcs11)
 * against the same key in node:crypto (keyObjectSigner), measured in the same run and process,
 * through the same path the audit sink uses (checkpointKeyFrom: sign, then verify the signature
 * before returning it). Keys are generated in Node and imported into a fresh token, so both sides
 * sign with identical keys. Also: P-256 through the HSM with 4 signatures in flight (the session
 * pool) against one at a time.
 * Needs SoftHSM2: eval "$(bash scripts/services/softhsm.sh start)" (`npm run bench -- hsm` does it).
 * Run: npx tsx bench/hsm.bench.ts [--seconds 3]   (writes bench/results/hsm.json)
 */
import { report } from './harness/report.js';
import { benchSpec } from './harness/specs.js';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { keyObjectSigner, keyRefSchema, Secret, type Signer } from '../core/index.js';
import { formatCheckpoint } from '../core/tlog/index.js';
import { createKeyProvider } from '../keys/index.js';
import { checkpointKeyFrom } from '../sinks/audit/index.js';
import { revocationLatencyWith } from './harness/revocation.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string' } } });
const SECONDS = Number(args.seconds ?? 3);
const MODULE = process.env.CHAINWATCH_TEST_SOFTHSM_MODULE;
const UTIL = process.env.CHAINWATCH_TEST_SOFTHSM_UTIL ?? 'softhsm2-util';
if (!MODULE) {
  console.error('hsm bench: CHAINWATCH_TEST_SOFTHSM_MODULE is unset: eval "$(bash scripts/services/softhsm.sh start)" first');
  process.exit(2);
}

// A token of our own, in a temp directory (SOFTHSM2_CONF must be set before the module loads).
const dir = mkdtempSync(join(tmpdir(), 'cw-bench-hsm-'));
mkdirSync(join(dir, 'tokens'));
process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');
writeFileSync(process.env.SOFTHSM2_CONF, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
const pin = randomBytes(6).toString('hex');
const util = (a: string[]): string => execFileSync(UTIL, ['--module', MODULE, ...a], { encoding: 'utf8' });
util(['--init-token', '--free', '--label', 'bench', '--pin', pin, '--so-pin', randomBytes(6).toString('hex')]);
function imported(label: string, id: string, key: KeyObject): void {
  const pem = join(dir, `${label}.pem`);
  writeFileSync(pem, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  util(['--import', pem, '--token', 'bench', '--label', label, '--id', id, '--pin', pin]);
}
const ed = generateKeyPairSync('ed25519').privateKey;
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
imported('ed', '01', ed);
imported('p256', '02', p256);
const keys = createKeyProvider();
const open = (object: string): Promise<Signer> =>
  keys.open(keyRefSchema.parse({ pkcs11: { uri: `pkcs11:token=bench;object=${object}`, module: MODULE, pin: new Secret(pin), sessions: 4 } }));

const origin = 'chainwatch.audit/bench';
const texts = Array.from({ length: 1024 }, (_, i) => Buffer.from(formatCheckpoint({ origin, size: i + 1, rootHash: randomBytes(32), extensions: [] })));

/** Signatures per second for SECONDS, `inFlight` at a time. */
async function rate(signer: Signer, inFlight = 1): Promise<number> {
  const key = checkpointKeyFrom(origin, signer);
  for (let i = 0; i < 50; i++) await key.signer.sign(texts[i]!); // warm-up
  let n = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) await key.signer.sign(texts[n++ & 1023]!);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

const hsmEdSigner = await open('ed');
const hsmP256Signer = await open('p256');
// Interleaved (node, hsm, node, hsm) so that load changes on the shared machine hit both sides.
const nodeEd25519 = await rate(keyObjectSigner(ed));
const hsmEd25519 = await rate(hsmEdSigner);
const nodeP256 = await rate(keyObjectSigner(p256));
const hsmP256 = await rate(hsmP256Signer);
const hsmP256Concurrent = await rate(hsmP256Signer, 4);
await hsmEdSigner.close?.();
await hsmP256Signer.close?.();

const { runbookToFinding, revokeToFinding } = await revocationLatency();

report(benchSpec('hsm'), { hsmEd25519, nodeEd25519, hsmP256, nodeP256, hsmP256Concurrent, runbookToFinding, revokeToFinding }, [
  'Revocation latency: embedded bus polling every 10 ms, the runbook runner and the key-misuse detector in this process; median of 5 rounds each.',
  'SoftHSM2 2.6.1 (Debian bookworm), file object store, in-process PKCS#11 calls; a network HSM adds a round trip per signature.',
]);

/**
 * Time from `runbook run revoke-key` (both approvals already on the bus) to the first critical
 * key.revoked_use finding for a later use of the key, against the baseline of a plain `keys
 * revoke` (keys.revoked.v1 published directly) to the same finding, in the same bus and detector.
 */
function revocationLatency(): Promise<{ runbookToFinding: number; revokeToFinding: number }> {
  return revocationLatencyWith({ module: MODULE!, token: 'bench', pin, dir, importKey: imported });
}
