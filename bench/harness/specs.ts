/**
 * Every bench: its measurements, the figures derived from them and the targets the issues set.
 * `npm run bench` runs them with `args`; the benches and the pre-re-layout text parser
 * (legacy.ts) both report measurements under these keys. The specs live by area in ./specs/.
 */
import type { BenchSpec } from './spec.js';
import { busEmbedded, busKafka } from './specs/bus.js';
import { rekor, rekorLive, tlog, ct, ctWatch } from './specs/logs.js';
import { audit, sinks, hsm } from './specs/delivery.js';
import { signatures, policy, registryIntake, keyMisuse } from './specs/registry.js';
import { admission, k8sWatch } from './specs/k8s.js';
import { provenance } from './specs/provenance.js';

export const BENCHES: readonly BenchSpec[] = [
  busEmbedded,
  busKafka,
  rekor,
  rekorLive,
  tlog,
  audit,
  sinks,
  hsm,
  ctWatch,
  signatures,
  policy,
  registryIntake,
  keyMisuse,
  admission,
  ct,
  provenance,
  k8sWatch,
];

export function benchSpec(name: string): BenchSpec {
  const spec = BENCHES.find((b) => b.name === name);
  if (!spec) throw new Error(`unknown bench '${name}' (known: ${BENCHES.map((b) => b.name).join(', ')})`);
  return spec;
}
