import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { formatIssues, imageRefSchema, type RegistryManifest } from '../../core/index.js';
import { RegistryError } from './errors.js';

/**
 * From a sender's payload to manifest events, one parser per source. Each returns the manifest
 * events it found (not yet stamped with receivedAt) and how many of the sender's events it
 * ignored (pulls, blobs, non-container packages): those are counted, never published.
 */
export type ManifestDraft = Omit<RegistryManifest, 'receivedAt'>;
export interface Parsed {
  manifests: ManifestDraft[];
  ignored: number;
  /** The timestamps the sender vouches for (checked against the replay window); none for GitHub. */
  timestamps: Date[];
}

/** What a source's parser may know beyond the body: headers and the configured registry host. */
export interface ParseInput {
  json: unknown;
  headers: IncomingHttpHeaders;
  /** `collectors.registry.<source>.registry`: the host clients use, when the payload's is not it. */
  registry: string | undefined;
  /** When we received it (ISO): the occurredAt of senders that give no trustworthy time. */
  receivedAt: string;
}

const digestShape = imageRefSchema.shape.digest;

function shaped<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new RegistryError('REGISTRY_PAYLOAD_INVALID', `${what}: ${formatIssues(r.error.issues)}`);
  return r.data;
}

function isoOf(t: Date, what: string): string {
  if (Number.isNaN(t.getTime())) throw new RegistryError('REGISTRY_PAYLOAD_INVALID', `${what}: not a timestamp`);
  return t.toISOString();
}

/** Media types of manifests (and indexes): everything else in a distribution envelope is a blob. */
const MANIFEST_MEDIA_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
]);

// CNCF distribution notifications (docs/content/about/notifications.md): an envelope of events.
const distributionEvent = z.looseObject({
  id: z.string().min(1).max(256),
  timestamp: z.string().min(1),
  action: z.string().min(1),
  target: z.looseObject({
    mediaType: z.string().max(255).optional(),
    digest: z.string().optional(),
    size: z.number().int().nonnegative().optional(),
    length: z.number().int().nonnegative().optional(),
    repository: z.string().min(1).max(512).optional(),
    url: z.string().optional(),
    tag: z.string().max(128).optional(),
  }),
  request: z.looseObject({ host: z.string().max(255).optional() }).optional(),
  actor: z.looseObject({ name: z.string().max(256).optional() }).optional(),
});
const distributionEnvelope = z.looseObject({ events: z.array(distributionEvent).max(1000) });

export function parseDistribution(input: ParseInput): Parsed {
  const env = shaped(distributionEnvelope, input.json, 'distribution envelope');
  const out: Parsed = { manifests: [], ignored: 0, timestamps: [] };
  for (const [i, ev] of env.events.entries()) {
    const at = new Date(ev.timestamp);
    const occurredAt = isoOf(at, `events[${i}].timestamp`);
    out.timestamps.push(at);
    const action = ev.action === 'push' || ev.action === 'delete' ? ev.action : undefined;
    // A delete names only digest + repository (no media type): it can only be a manifest delete.
    const isManifest = ev.target.mediaType === undefined ? ev.action === 'delete' : MANIFEST_MEDIA_TYPES.has(ev.target.mediaType);
    if (!action || !isManifest) {
      out.ignored++;
      continue;
    }
    const registry = (input.registry ?? ev.request?.host ?? hostOf(ev.target.url))?.toLowerCase();
    if (!registry) throw new RegistryError('REGISTRY_PAYLOAD_INVALID', `events[${i}]: no registry host (request.host or target.url)`);
    const image = shaped(
      imageRefSchema,
      { registry, repository: ev.target.repository, digest: ev.target.digest, ...(ev.target.tag ? { tag: ev.target.tag } : {}) },
      `events[${i}].target`,
    );
    const size = ev.target.size ?? ev.target.length;
    out.manifests.push({
      source: 'distribution',
      action,
      image,
      ...(ev.target.mediaType ? { mediaType: ev.target.mediaType } : {}),
      ...(size !== undefined ? { size } : {}),
      deliveryId: ev.id,
      ...(ev.actor?.name ? { actor: ev.actor.name } : {}),
      occurredAt,
    });
  }
  return out;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

// Harbor v2 HTTP webhooks (goharbor docs, "Payload Format").
const harborPayload = z.looseObject({
  type: z.string().min(1),
  occur_at: z.number().int().nonnegative(),
  operator: z.string().max(256).optional(),
  event_data: z.looseObject({
    resources: z
      .array(z.looseObject({ digest: z.string().optional(), tag: z.string().max(128).optional(), resource_url: z.string().optional() }))
      .max(1000)
      .default([]),
    repository: z.looseObject({ repo_full_name: z.string().min(1).max(512) }).optional(),
  }),
});

export function parseHarbor(input: ParseInput): Parsed {
  const p = shaped(harborPayload, input.json, 'harbor payload');
  const at = new Date(p.occur_at * 1000);
  const out: Parsed = { manifests: [], ignored: 0, timestamps: [at] };
  const action = p.type === 'PUSH_ARTIFACT' ? 'push' : p.type === 'DELETE_ARTIFACT' ? 'delete' : undefined;
  if (!action) return { ...out, ignored: Math.max(1, p.event_data.resources.length) };
  const repository = p.event_data.repository?.repo_full_name;
  for (const [i, r] of p.event_data.resources.entries()) {
    // resource_url is "<host>/<repo>:<tag>" or "<host>/<repo>@<digest>", without a scheme.
    const registry = (input.registry ?? r.resource_url?.split('/')[0])?.toLowerCase();
    const image = shaped(imageRefSchema, { registry, repository, digest: r.digest, ...(r.tag ? { tag: r.tag } : {}) }, `event_data.resources[${i}]`);
    out.manifests.push({
      source: 'harbor',
      action,
      image,
      // Harbor sends no delivery id: one derived from what the event says is stable across its retries.
      deliveryId: `harbor:${createHash('sha256')
        .update(`${p.type}\n${p.occur_at}\n${image.digest}\n${image.repository}\n${image.tag ?? ''}`)
        .digest('hex')}`,
      ...(p.operator ? { actor: p.operator } : {}),
      occurredAt: isoOf(at, 'occur_at'),
    });
  }
  return out;
}

// GitHub `package` and `registry_package` events (container packages on ghcr.io).
const githubVersion = z.looseObject({
  version: z.string().optional(),
  name: z.string().optional(),
  package_url: z.string().optional(),
  updated_at: z.string().optional(),
  container_metadata: z
    .looseObject({
      tag: z.looseObject({ name: z.string().optional(), digest: z.string().optional() }).optional(),
      manifest: z.looseObject({ digest: z.string().optional(), media_type: z.string().optional(), size: z.number().int().nonnegative().optional() }).optional(),
    })
    .nullish(),
});
const githubPackage = z.looseObject({
  name: z.string().min(1).max(256),
  ecosystem: z.string().optional(),
  package_type: z.string().optional(),
  owner: z.looseObject({ login: z.string().min(1) }).optional(),
  package_version: githubVersion.nullish(),
});
const githubPayload = z.looseObject({
  action: z.string().min(1),
  package: githubPackage.optional(),
  registry_package: githubPackage.optional(),
  sender: z.looseObject({ login: z.string().max(256).optional() }).optional(),
});

const CONTAINER = new Set(['container', 'docker']);

export function parseGitHub(input: ParseInput): Parsed {
  const event = header(input.headers, 'x-github-event');
  const deliveryId = header(input.headers, 'x-github-delivery');
  const out: Parsed = { manifests: [], ignored: 0, timestamps: [] };
  if (event !== 'package' && event !== 'registry_package') return { ...out, ignored: 1 }; // ping and friends
  if (!deliveryId || deliveryId.length > 200) throw new RegistryError('REGISTRY_PAYLOAD_INVALID', 'X-GitHub-Delivery header required');
  const p = shaped(githubPayload, input.json, `github ${event} payload`);
  const pkg = event === 'package' ? p.package : p.registry_package;
  if (!pkg) throw new RegistryError('REGISTRY_PAYLOAD_INVALID', `github ${event} payload: no ${event} object`);
  const container = CONTAINER.has((pkg.package_type ?? '').toLowerCase()) || CONTAINER.has((pkg.ecosystem ?? '').toLowerCase());
  if (!container || (p.action !== 'published' && p.action !== 'updated') || !pkg.package_version) return { ...out, ignored: 1 };
  const v = pkg.package_version;
  // The version name of a container package IS the manifest digest; container_metadata's copy
  // is sometimes truncated (the public example carries a 40-hex one), so it is only a fallback.
  const digest = [v.version, v.name, v.container_metadata?.manifest?.digest].find((d) => digestShape.safeParse(d).success);
  const ref = parsePackageUrl(v.package_url);
  const registry = (input.registry ?? ref?.registry ?? 'ghcr.io').toLowerCase();
  // OCI repository names are lower case; GitHub reports owners as they are spelled.
  const repository = (ref?.repository ?? `${pkg.owner?.login ?? ''}/${pkg.name}`).toLowerCase();
  const tag = v.container_metadata?.tag?.name;
  const image = shaped(imageRefSchema, { registry, repository, digest, ...(tag ? { tag } : {}) }, 'package_version');
  const mediaType = v.container_metadata?.manifest?.media_type;
  out.manifests.push({
    source: 'github',
    action: 'push',
    image,
    ...(mediaType ? { mediaType } : {}),
    deliveryId,
    ...(p.sender?.login ? { actor: p.sender.login } : {}),
    // GitHub's own times are not reliable (the public example says 0001-01-01): when we received it.
    occurredAt: input.receivedAt,
  });
  return out;
}

/** "ghcr.io/owner/name:tag" -> registry + repository. */
function parsePackageUrl(url: string | undefined): { registry: string; repository: string } | undefined {
  if (!url) return undefined;
  const slash = url.indexOf('/');
  if (slash <= 0) return undefined;
  const rest = url
    .slice(slash + 1)
    .replace(/@.*$/, '')
    .replace(/:[^/]*$/, '');
  return rest ? { registry: url.slice(0, slash), repository: rest } : undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
