import { schedule, type ScheduledTask } from 'node-cron';
import { type CloudEvent, type Component, type ComponentContext, describeError, imageSubject, makeEvent, RegistryManifestEvent } from '../../core/index.js';
import { OciClient, OciError } from '../shared/oci/index.js';
import type { PollConfig } from './config.js';

/**
 * Polling fallback for registries that send no webhooks: on a cron schedule, list each configured
 * repository's tags, resolve them to digests and publish a push event for every tag that is new
 * or moved to another digest.
 *
 *   per repo: tags/list -> digest per tag -> diff against the committed map -> publish -> commit map
 *
 * HTTP (token flow, pagination, retries of 429/5xx) is collectors/shared/oci's OciClient.
 *
 * Invariant: the per-repository map (`registry:poll:<host>/<repo>`) is committed only after
 * bus.publish() resolved, so a crash in between re-publishes (same event id) instead of losing a tag.
 */
type TagMap = Record<string, string>;

export class RegistryPoller implements Component {
  readonly name = 'collector.registry.poll';
  private task: ScheduledTask | undefined;
  private running: Promise<void> | undefined;
  private readonly clients = new Map<string, OciClient>();

  constructor(
    private readonly config: PollConfig,
    private readonly ctx: ComponentContext,
  ) {}

  async start(): Promise<void> {
    this.task = schedule(
      this.config.schedule,
      () => void this.pollOnce().catch((err: unknown) => this.ctx.logger.warn({ error: describeError(err) }, 'registry poll failed')),
      {
        name: 'registry-poll',
        noOverlap: true,
      },
    );
  }

  async stop(): Promise<void> {
    await this.task?.destroy();
    this.task = undefined;
    await this.running?.catch(() => undefined);
  }

  async flush(): Promise<void> {}

  /** One pass over every repository; a failing repository does not stop the others. Returns events published. */
  async pollOnce(): Promise<number> {
    let published = 0;
    const run = (async () => {
      for (const r of this.config.repositories) {
        try {
          published += await this.pollRepository(this.client(r), r.repository);
        } catch (err) {
          this.ctx.metrics
            .counter('registry_poll_failures_total', 'Registry polls that failed, by repository', ['repository'])
            .inc({ repository: r.repository });
          this.ctx.logger.warn({ repository: r.repository, error: describeError(err) }, 'registry poll of a repository failed');
        }
      }
    })();
    this.running = run;
    await run;
    return published;
  }

  /** One client per registry URL and user (its bearer tokens are reused across runs). */
  private client(r: PollConfig['repositories'][number]): OciClient {
    const url = new URL(r.url);
    const id = `${url.protocol}//${r.username ?? ''}@${url.host}`;
    let c = this.clients.get(id);
    if (!c) {
      c = new OciClient({
        registry: url.host,
        insecure: url.protocol === 'http:',
        ...(r.username !== undefined && r.password !== undefined ? { credentials: { username: r.username, password: r.password } } : {}),
      });
      this.clients.set(id, c);
    }
    return c;
  }

  private async pollRepository(oci: OciClient, repository: string): Promise<number> {
    const key = `registry:poll:${oci.registry}/${repository}`;
    const known = (await this.ctx.state.get<TagMap>(key)) ?? {};
    const now = this.ctx.now();
    const seen: TagMap = {};
    const events: CloudEvent[] = [];
    for (const tag of await oci.listTags(repository)) {
      const found = await digestOf(oci, repository, tag);
      if (!found) continue; // deleted between the listing and now: the next run sees the listing without it
      const { digest, mediaType } = found;
      seen[tag] = digest;
      if (known[tag] === digest) continue;
      const image = { registry: oci.registry, repository, digest, tag };
      const deliveryId = `poll:${oci.registry}/${repository}:${tag}@${digest}`;
      const data = RegistryManifestEvent.schema.parse({
        source: 'poll',
        action: 'push',
        image,
        ...(mediaType ? { mediaType } : {}),
        deliveryId,
        occurredAt: now.toISOString(),
        receivedAt: now.toISOString(),
      });
      events.push(
        makeEvent({
          type: RegistryManifestEvent.type,
          source: 'chainwatch/collectors/registry/poll',
          id: deliveryId,
          subject: imageSubject(image),
          time: now,
          data,
        }),
      );
    }
    if (events.length > 0) await this.ctx.bus.publish(events);
    // Only after the publish is durable does the map move (see the invariant above).
    await this.ctx.state.put(key, seen);
    return events.length;
  }
}

/** A tag's manifest digest: HEAD (Docker-Content-Digest), else GET and hash; undefined when the tag is gone. */
async function digestOf(oci: OciClient, repository: string, tag: string): Promise<{ digest: string; mediaType: string | undefined } | undefined> {
  try {
    const head = await oci.headManifest(repository, tag);
    return head && { digest: head.digest, mediaType: head.mediaType || undefined };
  } catch (err) {
    if (!(err instanceof OciError && err.code === 'OCI_BAD_RESPONSE')) throw err;
  }
  try {
    const m = await oci.getManifest(repository, tag);
    return { digest: m.digest, mediaType: m.mediaType };
  } catch (err) {
    if (err instanceof OciError && err.code === 'OCI_NOT_FOUND') return undefined;
    throw err;
  }
}
