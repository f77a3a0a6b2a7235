import {
  type Component,
  type ComponentContext,
  type ComponentSpec,
  configFingerprint,
  defineModule,
  describeError,
  type HttpRoute,
  type RouteRequest,
} from '../../core/index.js';
import { authOf, type RegistrySection, registrySectionSchema, type SourceConfig, type WebhookSource } from './config.js';
import { WebhookIntake } from './intake.js';
import { parseJsonBody } from './json-body.js';
import { RegistryPoller } from './poller.js';
import { type Parsed, type ParseInput, parseDistribution, parseGitHub, parseHarbor } from './payloads.js';

/**
 * `collectors.registry`: container-registry webhooks. Each configured source gets a route
 * (`POST /webhooks/<source>`); the router enforces its credentials (401/403), content type (415)
 * and body limit (413) before the handler runs. The handler parses, and the intake component
 * publishes durably before answering 202.
 *
 * Routes get no bus at plan time, so routes and the intake component of one daemon meet in an
 * intake shared by data dir: the component binds its context when it starts; until then (or
 * after it stopped) the routes answer 503 with Retry-After and senders retry.
 */
const intakes = new Map<string, WebhookIntake>();

function intakeFor(dataDir: string, section: RegistrySection): WebhookIntake {
  const windows = { replayWindowMs: section.replayWindow, dedupeWindowMs: section.dedupeWindow };
  let intake = intakes.get(dataDir);
  if (!intake || configFingerprint(intake.windows) !== configFingerprint(windows)) {
    const next = new WebhookIntake(windows);
    intakes.set(dataDir, next);
    intake = next;
  }
  return intake;
}

const PARSERS: Record<WebhookSource, (input: ParseInput) => Parsed> = { distribution: parseDistribution, harbor: parseHarbor, github: parseGitHub };

const CONTENT_TYPES: Record<WebhookSource, readonly string[]> = {
  // distribution 2.x sends v1; its docs show v2. Both are the same envelope.
  distribution: ['application/vnd.docker.distribution.events.v1+json', 'application/vnd.docker.distribution.events.v2+json', 'application/json'],
  harbor: ['application/json'],
  github: ['application/json'],
};

function webhookRoute(source: WebhookSource, cfg: SourceConfig, intake: WebhookIntake): HttpRoute {
  return {
    name: `registry.webhook.${source}`,
    method: 'POST',
    path: `/webhooks/${source}`,
    auth: authOf(source, cfg),
    body: { maxBytes: cfg.maxBodyBytes, contentTypes: CONTENT_TYPES[source] },
    async handler(req: RouteRequest) {
      try {
        const receivedAt = intake.now();
        const parsed = PARSERS[source]({ json: parseJsonBody(req.body), headers: req.headers, registry: cfg.registry, receivedAt: receivedAt.toISOString() });
        return await intake.accept(source, parsed, receivedAt);
      } catch (err) {
        return intake.refuse(source, err);
      }
    },
  };
}

/** Binds the shared intake to a running context and forgets old delivery ids every hour. */
function intakeComponent(intake: WebhookIntake, ctx: ComponentContext): Component {
  let timer: NodeJS.Timeout | undefined;
  const sweep = (): void => {
    intake.sweep().catch((err: unknown) => ctx.logger.warn({ error: describeError(err) }, 'registry seen-set sweep failed'));
  };
  return {
    name: 'collector.registry.intake',
    async start() {
      intake.bind(ctx);
      await intake.sweep();
      timer = setInterval(sweep, 3600_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      intake.unbind(ctx);
    },
    async flush() {},
  };
}

const SOURCES: readonly WebhookSource[] = ['distribution', 'harbor', 'github'];

export const registryModule = defineModule({
  id: 'collectors.registry',
  summary: 'Container-registry webhooks (distribution, Harbor, GitHub Packages): manifest push/delete events, durable before 202',
  section: { group: 'collectors', key: 'registry', schema: registrySectionSchema },
  components: (section, host) => {
    if (!section) return [];
    const poll = section.poll;
    const out: ComponentSpec[] = poll
      ? [{ name: 'collector.registry.poll', kind: 'collector', fingerprint: configFingerprint(poll), create: (ctx) => new RegistryPoller(poll, ctx) }]
      : [];
    if (!SOURCES.some((s) => section[s])) return out;
    const intake = intakeFor(host.dataDir, section);
    out.push({
      name: 'collector.registry.intake',
      kind: 'collector',
      fingerprint: configFingerprint(intake.windows),
      create: (ctx) => intakeComponent(intake, ctx),
    });
    return out;
  },
  routes: (section, host) => {
    if (!section) return [];
    const intake = intakeFor(host.dataDir, section);
    return SOURCES.flatMap((s) => {
      const cfg = section[s];
      return cfg ? [webhookRoute(s, cfg, intake)] : [];
    });
  },
});
