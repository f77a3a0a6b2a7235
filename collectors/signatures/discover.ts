import { ChainwatchError, describeError, RetryError } from '../../core/index.js';
import { type Descriptor, digestTag, type FetchedManifest, MEDIA, OciClient, OciError } from '../shared/oci/index.js';
import type { DiscoveredArtifact, DiscoveredKind } from './discovered.js';

/**
 * Finds everything that claims to sign or attest one image digest, by the three paths in use:
 *   1. the cosign tag convention: `sha256-<hex>.sig` (signatures) and `sha256-<hex>.att` (attestations);
 *   2. the OCI 1.1 referrers API `GET /v2/<repo>/referrers/<digest>` (cosign v3's Sigstore bundles,
 *      notation, SBOMs attached with oras);
 *   3. when the registry answers the API with 404, its tag-schema fallback (the `sha256-<hex>` index).
 * The paths run in parallel and fail independently: a path the registry cannot answer (down, 5xx,
 * denied after retries) becomes a discovery error with its code, and what the others found stays.
 * A 404 of a cosign tag is an answer (nothing there), not an error.
 */
export interface DiscoveryLimits {
  maxLayerBytes: number;
  maxReferrers: number;
}

export interface DiscoveryError {
  code: string;
  message: string;
}

export interface Discovery {
  artifacts: DiscoveredArtifact[];
  errors: DiscoveryError[];
}

export async function discover(client: OciClient, repo: string, digest: string, limits: DiscoveryLimits): Promise<Discovery> {
  const errors: DiscoveryError[] = [];
  const guard = async (path: string, run: () => Promise<DiscoveredArtifact[]>): Promise<DiscoveredArtifact[]> => {
    try {
      return await run();
    } catch (err) {
      errors.push(discoveryError(path, err));
      return [];
    }
  };
  const found = await Promise.all([
    guard('cosign .sig tag', () => byTag(client, repo, digest, '.sig', 'cosign-signature', limits)),
    guard('cosign .att tag', () => byTag(client, repo, digest, '.att', 'cosign-attestation', limits)),
    guard('referrers', () => byReferrers(client, repo, digest, limits, errors)),
  ]);
  // One manifest found twice (a client that wrote the fallback tag beside the API) counts once.
  const seen = new Set<string>();
  const artifacts = found.flat().filter((a) => !seen.has(a.ref) && seen.add(a.ref));
  return { artifacts, errors };
}

async function byTag(
  client: OciClient,
  repo: string,
  digest: string,
  suffix: '.sig' | '.att',
  hint: DiscoveredKind,
  limits: DiscoveryLimits,
): Promise<DiscoveredArtifact[]> {
  let m: FetchedManifest;
  try {
    m = await client.getManifest(repo, digestTag(digest, suffix));
  } catch (err) {
    if (err instanceof OciError && err.code === 'OCI_NOT_FOUND') return [];
    throw err;
  }
  return [await toArtifact(client, repo, m, 'tag', undefined, hint, limits)];
}

async function byReferrers(client: OciClient, repo: string, digest: string, limits: DiscoveryLimits, errors: DiscoveryError[]): Promise<DiscoveredArtifact[]> {
  const { descriptors, via } = await client.referrers(repo, digest);
  if (descriptors.length > limits.maxReferrers) {
    errors.push({ code: 'REFERRERS_TRUNCATED', message: `${descriptors.length} referrers, only the first ${limits.maxReferrers} were read` });
  }
  const out = await Promise.all(
    descriptors.slice(0, limits.maxReferrers).map(async (d) => {
      try {
        const m = await client.getManifest(repo, d.digest);
        return [await toArtifact(client, repo, m, via, d, 'unknown', limits)];
      } catch (err) {
        errors.push(discoveryError(`referrer ${d.digest}`, err));
        return [];
      }
    }),
  );
  return out.flat();
}

/** The manifest as verification wants it: kind, annotations and every layer's bytes (not for `unknown`). */
async function toArtifact(
  client: OciClient,
  repo: string,
  m: FetchedManifest,
  foundBy: DiscoveredArtifact['foundBy'],
  desc: Descriptor | undefined,
  hint: DiscoveredKind,
  limits: DiscoveryLimits,
): Promise<DiscoveredArtifact> {
  const manifest = m.manifest;
  const configType = manifest.config?.mediaType;
  const artifactType = manifest.artifactType ?? (configType && configType !== MEDIA.ociEmpty ? configType : undefined) ?? desc?.artifactType;
  const layers = manifest.layers ?? [];
  const kind = classify(artifactType, layers, hint);
  const read = kind !== 'unknown';
  return {
    kind,
    foundBy,
    ref: m.digest,
    ...(artifactType !== undefined ? { artifactType } : {}),
    manifestMediaType: m.mediaType,
    annotations: { ...desc?.annotations, ...manifest.annotations },
    layers: await Promise.all(
      layers.map(async (l) => ({
        mediaType: l.mediaType,
        digest: l.digest,
        bytes: read ? await client.getBlob(repo, l.digest, limits.maxLayerBytes) : new Uint8Array(0),
        annotations: l.annotations ?? {},
      })),
    ),
  };
}

/** What a manifest holds, from its artifact type first and its layers' media types second. */
export function classify(artifactType: string | undefined, layers: readonly Descriptor[], hint: DiscoveredKind): DiscoveredKind {
  const types = [artifactType ?? '', ...layers.map((l) => l.mediaType)];
  if (types.some((t) => t.startsWith(MEDIA.sigstoreBundlePrefix))) return 'sigstore-bundle';
  if (types.some((t) => t === MEDIA.notationSignature)) return 'notation';
  if (types.some((t) => t === MEDIA.cosignSimpleSigning)) return 'cosign-signature';
  if (types.some((t) => t === MEDIA.dsse || t === MEDIA.inTotoDsse)) return 'cosign-attestation';
  return hint;
}

/** The coded cause of a failed path: the registry's OCI code (not the retry wrapper's), never a credential. */
function discoveryError(path: string, err: unknown): DiscoveryError {
  const inner = err instanceof RetryError && err.cause instanceof ChainwatchError ? err.cause : err;
  const { code, message } = describeError(inner);
  return { code, message: `${path}: ${message}`.slice(0, 1000) };
}
