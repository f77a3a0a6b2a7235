/**
 * Bounded facts from known in-toto predicate types, for FoundAttestation.summary: enough for a
 * policy condition or an alert without carrying a multi-megabyte SBOM. Every list is capped and
 * every string truncated; unknown predicate types give an empty summary (predicateType and sizes
 * live on the record itself). Nothing here throws: a field of the wrong shape is just left out.
 */
const MAX_LIST = 64;
const MAX_STRING = 512;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, MAX_STRING) : undefined);
const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => obj(o)?.[k], v);

/** Drops undefined fields so the summary stays small and JSON-clean. */
const compact = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export function summarizePredicate(predicateType: string, predicate: unknown): Json {
  if (predicateType === 'https://slsa.dev/provenance/v0.2') return slsaV02(predicate);
  if (predicateType === 'https://slsa.dev/provenance/v1') return slsaV1(predicate);
  if (predicateType.startsWith('https://cyclonedx.org/bom')) return cyclonedx(predicate);
  if (predicateType.startsWith('https://spdx.dev/Document')) return spdx(predicate);
  if (predicateType === 'https://cosign.sigstore.dev/attestation/vuln/v1') return vuln(predicate);
  if (predicateType === 'https://slsa.dev/verification_summary/v1') return vsa(predicate);
  return {};
}

/** Git source "git+https://github.com/o/r@refs/tags/v1" -> repository and ref. */
function gitSource(uri: string | undefined): { repository?: string; ref?: string } {
  if (!uri) return {};
  const m = /^(?:git\+)?(.*?)(?:@(.*))?$/.exec(uri);
  return compact({ repository: m?.[1], ref: m?.[2] });
}

function slsaV02(p: unknown): Json {
  const material = obj(arr(at(p, 'materials'))[0]);
  const invocationSource = obj(at(p, 'invocation', 'configSource'));
  const source = gitSource(str(invocationSource?.uri) ?? str(material?.uri));
  const digest = obj(invocationSource?.digest) ?? obj(material?.digest);
  const env = obj(at(p, 'invocation', 'environment'));
  return compact({
    builderId: str(at(p, 'builder', 'id')),
    buildType: str(at(p, 'buildType')),
    sourceRepository: source.repository,
    sourceRef: source.ref,
    sourceDigest: str(digest?.sha1) ?? str(digest?.sha256),
    workflowPath: str(invocationSource?.entryPoint),
    workflowTrigger: str(env?.github_event_name),
    materialsCount: arr(at(p, 'materials')).length,
  });
}

function slsaV1(p: unknown): Json {
  const ext = obj(at(p, 'buildDefinition', 'externalParameters'));
  const workflow = obj(ext?.workflow);
  const deps = arr(at(p, 'buildDefinition', 'resolvedDependencies'));
  const firstDep = obj(deps[0]);
  const source = gitSource(str(firstDep?.uri));
  const internal = obj(at(p, 'buildDefinition', 'internalParameters'));
  const github = obj(internal?.github);
  return compact({
    builderId: str(at(p, 'runDetails', 'builder', 'id')),
    buildType: str(at(p, 'buildDefinition', 'buildType')),
    sourceRepository: str(workflow?.repository) ?? source.repository,
    sourceRef: str(workflow?.ref) ?? source.ref,
    sourceDigest: str(obj(firstDep?.digest)?.gitCommit) ?? str(obj(firstDep?.digest)?.sha1),
    workflowPath: str(workflow?.path),
    workflowTrigger: str(github?.event_name),
    resolvedDependenciesCount: deps.length,
    externalParametersPresent: ext !== undefined && Object.keys(ext).length > 0,
  });
}

/** A bounded, sorted set of licence ids. */
const licenceSet = (ids: Iterable<string>): string[] => [...new Set(ids)].sort().slice(0, MAX_LIST);

function cyclonedx(p: unknown): Json {
  const components = arr(at(p, 'components'));
  const ids = components.flatMap((c) =>
    arr(obj(c)?.licenses).flatMap((l) => {
      const lic = obj(obj(l)?.license);
      const id = str(lic?.id) ?? str(lic?.name) ?? str(obj(l)?.expression);
      return id ? [id] : [];
    }),
  );
  return compact({ format: 'cyclonedx', specVersion: str(at(p, 'specVersion')), componentCount: components.length, licenses: licenceSet(ids) });
}

function spdx(p: unknown): Json {
  const packages = arr(at(p, 'packages'));
  const ids = packages.flatMap((pkg) => {
    const o = obj(pkg);
    return [str(o?.licenseConcluded), str(o?.licenseDeclared)].filter((l): l is string => !!l && l !== 'NOASSERTION' && l !== 'NONE');
  });
  return compact({ format: 'spdx', specVersion: str(at(p, 'spdxVersion')), componentCount: packages.length, licenses: licenceSet(ids) });
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;

/** cosign vuln/v1: scanner plus counts by severity when the result is Trivy JSON or SARIF. */
function vuln(p: unknown): Json {
  const result = at(p, 'scanner', 'result');
  const counts: Record<string, number> = {};
  const add = (sev: string | undefined): void => {
    const s = (sev ?? 'unknown').toLowerCase();
    const key = (SEVERITIES as readonly string[]).includes(s) ? s : s === 'error' ? 'high' : s === 'warning' ? 'medium' : s === 'note' ? 'low' : 'unknown';
    counts[key] = (counts[key] ?? 0) + 1;
  };
  // Trivy: Results[].Vulnerabilities[].Severity
  for (const r of arr(at(result, 'Results'))) for (const v of arr(obj(r)?.Vulnerabilities)) add(str(obj(v)?.Severity));
  // SARIF: runs[].results[].level
  for (const run of arr(at(result, 'runs'))) for (const r of arr(obj(run)?.results)) add(str(obj(r)?.level));
  return compact({
    scanner: str(at(p, 'scanner', 'uri')),
    scannerVersion: str(at(p, 'scanner', 'version')),
    dbVersion: str(at(p, 'scanner', 'db', 'version')),
    severityCounts: Object.keys(counts).length > 0 ? counts : undefined,
  });
}

function vsa(p: unknown): Json {
  return compact({
    verifier: str(at(p, 'verifier', 'id')),
    result: str(at(p, 'verificationResult')),
    levels: arr(at(p, 'verifiedLevels'))
      .flatMap((l) => (typeof l === 'string' ? [l.slice(0, MAX_STRING)] : []))
      .slice(0, MAX_LIST),
    resourceUri: str(at(p, 'resourceUri')),
    policyUri: str(at(p, 'policy', 'uri')),
  });
}
