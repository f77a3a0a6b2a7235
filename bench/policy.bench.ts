/**
 * Image policy evaluation (rules/policy) per digest, what the discovery component and the admission
 * webhook pay per check, against a hand-written JS predicate deciding the same thing over the same
 * facts in the same run (the floor: no globs, no verdict objects, no CEL). Two policies:
 *   key   one key authority over two verified signatures (one allowed);
 *   sbom  the same plus a CycloneDX attestation whose CEL condition scans every component's
 *         licences for a deny-list, over a real SBOM (Laravel 7.12.0, 62 components, realdata).
 * Rates are per CPU-second of this single-threaded process (the machine is shared), medians over
 * interleaved rounds; the CEL programs were compiled once, at load.
 *
 *   npx tsx bench/policy.bench.ts [--seconds 1] [--rounds 3]
 */
import { report } from './harness/report.js';
import { median } from './harness/spec.js';
import { benchSpec } from './harness/specs.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { foundAttestationSchema, foundSignatureSchema, type FoundAttestation, type FoundSignature } from '../core/index.js';
import { REALDATA } from '../core/testing/index.js';
import { buildPolicySet, keyIdOfPem, loadCel } from '../rules/policy/index.js';

await loadCel(); // buildPolicySet compiles CEL conditions with it (loadPolicies loads it itself)

const arg = (name: string, dflt: number): number => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || dflt;
const seconds = arg('seconds', 1);
const rounds = arg('rounds', 3);

const keyFile = join(REALDATA, 'sigstore/conformance/bundle-verify/managed-key-happy-path/key.pub');
const otherFile = join(REALDATA, 'ct/ct-go-testdata/ct-server-key-public.pem');
const keyId = keyIdOfPem(readFileSync(keyFile, 'utf8'))!;
const otherId = keyIdOfPem(readFileSync(otherFile, 'utf8'))!;
const bom = JSON.parse(readFileSync(join(REALDATA, 'sbom/cyclonedx/bom-examples/laravel-7.12.0.bom.1.4.json'), 'utf8')) as {
  components: { licenses?: { license?: { id?: string } }[] }[];
};
const BOM_TYPE = 'https://cyclonedx.org/bom';
const IMAGE = { registry: 'registry.example.com', repository: 'team/app' };

const sig = (id: string, n: number): FoundSignature =>
  foundSignatureSchema.parse({
    format: 'sigstore-bundle',
    foundBy: 'referrers',
    ref: `sha256:${String(n).repeat(64)}`,
    verified: true,
    signer: { kind: 'publicKey', keyId: id, extensions: {} },
  });
const attestation: FoundAttestation = foundAttestationSchema.parse({
  format: 'sigstore-bundle',
  foundBy: 'referrers',
  ref: `sha256:${'3'.repeat(64)}`,
  verified: true,
  signer: { kind: 'publicKey', keyId, extensions: {} },
  predicateType: BOM_TYPE,
  subjectMatches: true,
  predicateSha256: 'c'.repeat(64),
  predicateBytes: 1,
  predicate: bom,
});
const facts = { signatures: [sig(otherId, 1), sig(keyId, 2)], attestations: [attestation] };

const head = `images: ['registry.example.com/team/*']\nauthorities:\n  - name: release\n    key: { path: ${keyFile} }\n`;
const keySet = buildPolicySet([{ file: 'key.yaml', text: `name: key\n${head}` }]);
const sbomSet = buildPolicySet([
  {
    file: 'sbom.yaml',
    text: `name: sbom\n${head}attestations:\n  - predicateType: ${BOM_TYPE}\n    condition: "!predicate.components.exists(c, has(c.licenses) && c.licenses.exists(l, has(l.license.id) && l.license.id in ['GPL-3.0-only', 'AGPL-3.0-only']))"\n`,
  },
]);

const DENIED = new Set(['GPL-3.0-only', 'AGPL-3.0-only']);
const jsKey = () => facts.signatures.some((s) => s.verified && s.signer?.keyId === keyId);
const jsSbom = () =>
  jsKey() &&
  facts.attestations.some(
    (a) =>
      a.verified &&
      a.subjectMatches &&
      a.predicateType === BOM_TYPE &&
      a.signer?.keyId === keyId &&
      !(a.predicate as typeof bom).components.some((c) => c.licenses?.some((l) => DENIED.has(l.license?.id ?? ''))),
  );
if (keySet.evaluate(IMAGE, facts).verdict !== 'pass' || sbomSet.evaluate(IMAGE, facts).verdict !== 'pass' || !jsKey() || !jsSbom()) {
  throw new Error('the policies and the predicates must agree (pass) on the bench facts');
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let sink = 0;
/** Evaluations per CPU-second, after a warm-up. */
function rate(fn: () => unknown): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) for (let k = 0; k < 20; k++, n++) sink += fn() ? 1 : 0;
  return (n / (cpuMs() - c0)) * 1000;
}

const r = { key: [] as number[], jsKey: [] as number[], sbom: [] as number[], jsSbom: [] as number[] };
for (let i = 0; i < rounds; i++) {
  r.key.push(rate(() => keySet.evaluate(IMAGE, facts).verdict === 'pass'));
  r.jsKey.push(rate(jsKey));
  r.sbom.push(rate(() => sbomSet.evaluate(IMAGE, facts).verdict === 'pass'));
  r.jsSbom.push(rate(jsSbom));
}
report(benchSpec('policy'), {
  key: median(r.key),
  jsKey: median(r.jsKey),
  sbom: median(r.sbom),
  jsSbom: median(r.jsSbom),
  components: bom.components.length,
});
if (sink < 0) console.log(sink);
