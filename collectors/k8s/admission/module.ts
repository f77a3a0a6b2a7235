import {
  type ArtifactVerified,
  type Component,
  type ComponentContext,
  configFingerprint,
  defineModule,
  type HttpRoute,
  topicFor,
  type Subscription,
} from '../../../core/index.js';
import { admissionSectionSchema, type AdmissionSection, authOf } from './config.js';
import { AdmissionService, isVerified } from './service.js';

/**
 * `collectors.admission`: the Kubernetes admission webhook (docs/admission.md). Routes
 * `POST /admission/validate` (and `/admission/mutate` when enabled) on the HTTPS listener only,
 * authenticated by bearer token and/or client certificate; one component keeps the verdict cache
 * from chainwatch.registry. Routes get no bus at plan time, so routes and component of one daemon
 * meet in a service shared by data dir (as collectors/registry's intake does).
 */
const services = new Map<string, AdmissionService>();

function serviceFor(dataDir: string, section: AdmissionSection): AdmissionService {
  let s = services.get(dataDir);
  if (!s || configFingerprint(s.section) !== configFingerprint(section)) {
    s = new AdmissionService(section);
    services.set(dataDir, s);
  }
  return s;
}

class AdmissionComponent implements Component {
  readonly name = 'collector.admission';
  private sub: Subscription | undefined;

  constructor(
    private readonly service: AdmissionService,
    private readonly ctx: ComponentContext,
    private readonly group: string,
  ) {}

  async start(): Promise<void> {
    if (this.sub) return;
    const loaded = await this.service.verdicts.load(this.ctx.state);
    // Invariant: a verified result is in the StateStore before its handler resolves, so the offset
    // never passes a result the cache lost; a fresh group reads from the beginning to rebuild it.
    this.sub = await this.ctx.bus.subscribe({
      group: this.group,
      topics: [topicFor('registry')],
      fromBeginning: true,
      handler: async (rec) => {
        if (isVerified(rec.event.type)) await this.service.onVerified(this.ctx.state, rec.event.data as ArtifactVerified);
      },
    });
    this.service.bind(this.ctx);
    this.ctx.logger.info({ verdicts: loaded, deadlineMs: this.service.section.deadline, onTimeout: this.service.section.onTimeout }, 'admission webhook ready');
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    await sub?.stop();
    this.service.unbind(this.ctx);
  }

  async flush(): Promise<void> {}

  health(): { ready: boolean; detail?: string } {
    return { ready: this.sub !== undefined };
  }
}

function route(service: AdmissionService, webhook: 'validate' | 'mutate'): HttpRoute {
  return {
    name: `admission.${webhook}`,
    method: 'POST',
    path: `/admission/${webhook}`,
    listener: 'tls',
    auth: authOf(service.section),
    body: { maxBytes: service.section.maxBodyBytes, contentTypes: ['application/json'] },
    handler: (req) => service.handle(req, webhook),
  };
}

export const admissionModule = defineModule({
  id: 'collectors.admission',
  summary: 'Kubernetes admission webhook: verified-image decisions within a hard deadline (AdmissionReview v1, HTTPS only)',
  section: { group: 'collectors', key: 'admission', schema: admissionSectionSchema },
  components: (section, host) => {
    if (!section) return [];
    const service = serviceFor(host.dataDir, section);
    const group = section.group ?? `collector.admission.${host.instance}`;
    return [
      {
        name: 'collector.admission',
        kind: 'collector',
        fingerprint: configFingerprint({ section, group }),
        create: (ctx) => new AdmissionComponent(service, ctx, group),
      },
    ];
  },
  routes: (section, host) => {
    if (!section) return [];
    const service = serviceFor(host.dataDir, section);
    return [route(service, 'validate'), ...(section.mutate ? [route(service, 'mutate')] : [])];
  },
});
