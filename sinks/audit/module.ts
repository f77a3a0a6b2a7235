import { configFingerprint, defineModule, type HttpRoute, type ModuleHost } from '../../core/index.js';
import { auditCommands } from './commands.js';
import { type AuditConfig, auditConfigFrom, type AuditConfigInput, auditConfigSchema } from './config.js';
import { createAuditStore } from './factory.js';
import type { AuditStore } from './port.js';
import { getRecordWithProof } from './proof.js';
import { createAuditSink } from './sink.js';

/**
 * `sinks.audit`: the tamper-evident audit trail. On by default (SQLite under the data dir);
 * `enabled: false` turns it off. Contributes the sink, the record route and the `audit` commands,
 * and tells the alert pipeline how to link a finding to its record.
 */
const auditSectionSchema = auditConfigSchema.default(auditConfigSchema.parse({} satisfies AuditConfigInput));

export const auditModule = defineModule({
  id: 'sinks.audit',
  summary: 'Appends every event, finding, delivery and operator action to a Merkle tree with signed checkpoints',
  section: { group: 'sinks', key: 'audit', schema: auditSectionSchema },
  components: (cfg) =>
    cfg.enabled ? [{ name: 'sink.audit', kind: 'sink', fingerprint: configFingerprint(cfg), create: (ctx) => createAuditSink(auditConfigFrom(cfg), ctx) }] : [],
  provides: (cfg, host) => {
    const base = cfg.enabled ? (cfg.publicUrl ?? host.publicUrl) : undefined;
    return base ? { auditRecordUrl: `${base.replace(/\/$/, '')}/audit/records/{findingId}` } : {};
  },
  routes: (cfg, host) => (cfg.enabled ? [recordRoute(cfg, host)] : []),
  commands: auditCommands(),
});

/** GET /audit/records/:ref — the record (by id or index) with its inclusion proof against the latest checkpoint. */
function recordRoute(cfg: { backend: Parameters<typeof createAuditStore>[0]; api: AuditConfig['api'] }, host: ModuleHost): HttpRoute {
  let store: Promise<AuditStore> | undefined;
  const open = (): Promise<AuditStore> => {
    // A failed open (store briefly unreachable) must not be cached: the next request tries again.
    store ??= (async () => {
      const s = createAuditStore(cfg.backend, { dataDir: host.dataDir });
      await s.open();
      return s;
    })().catch((err: unknown) => {
      store = undefined;
      throw err;
    });
    return store;
  };
  return {
    name: 'audit.record',
    async dispose() {
      const opened = store;
      store = undefined;
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
    method: 'GET',
    path: '/audit/records/:ref',
    // Records carry full payloads: bearer tokens from sinks.audit.api, or public only when said so.
    auth: cfg.api.public ? { kind: 'public' } : { kind: 'bearer', tokens: cfg.api.auth.bearer },
    async handler(req) {
      const ref = req.params.ref ?? '';
      if (!ref) return { status: 400, body: { error: 'record id or index required' } };
      const proof = await getRecordWithProof(await open(), ref);
      return proof ? { status: 200, body: proof } : { status: 404, body: { error: 'no such audit record' } };
    },
  };
}
