import { configFingerprint, defineModule, type HttpRoute, type ModuleHost } from '../../core/index.js';
import { auditCommands } from './commands.js';
import { type AuditConfig, auditConfigFrom, type AuditConfigInput, auditConfigSchema } from './config.js';
import { createAuditStore } from './factory.js';
import type { AuditStore } from './port.js';
import { auditPreflight, auditWarnings } from './preflight.js';
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
  routes: (cfg, host) => (cfg.enabled ? recordRoutes(cfg, host) : []),
  warnings: auditWarnings,
  preflight: auditPreflight,
  commands: auditCommands(),
});

/**
 * GET /audit/records/:id — the record with this id (an all-digit id too) — and
 * GET /audit/records?index=N — the record at a position — with the inclusion proof against the
 * latest checkpoint. Positions outside [0, size) and malformed ones answer 404 / 400, never 500.
 * GET /audit/checkpoints/latest and /audit/checkpoints/:size — a signed checkpoint, as text.
 */
function recordRoutes(cfg: { backend: Parameters<typeof createAuditStore>[0]; api: AuditConfig['api'] }, host: ModuleHost): HttpRoute[] {
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
  const answer = async (ref: { index: number } | { id: string }) => {
    const proof = await getRecordWithProof(await open(), ref);
    return proof ? { status: 200, body: proof } : { status: 404, body: { error: 'no such audit record' } };
  };
  const base = { method: 'GET' as const };
  // Records carry full payloads: bearer tokens from sinks.audit.api, or public only when said so.
  const recordAuth: HttpRoute['auth'] = cfg.api.public ? { kind: 'public' } : { kind: 'bearer', tokens: cfg.api.auth.bearer };
  return [
    {
      ...base,
      name: 'audit.record',
      auth: recordAuth,
      async dispose() {
        const opened = store;
        store = undefined;
        if (opened) await (await opened.catch(() => undefined))?.close();
      },
      path: '/audit/records/:ref',
      async handler(req) {
        const id = req.params.ref ?? '';
        if (!id) return { status: 400, body: { error: 'record id required' } };
        return answer({ id });
      },
    },
    {
      ...base,
      name: 'audit.record-by-index',
      auth: recordAuth,
      path: '/audit/records',
      async handler(req) {
        const raw = req.query.get('index') ?? '';
        if (!/^(0|[1-9][0-9]{0,15})$/.test(raw)) return { status: 400, body: { error: 'give ?index=N, a non-negative integer position' } };
        return answer({ index: Number(raw) });
      },
    },
    {
      ...base,
      // Published checkpoints: anyone may fetch and keep them (curl -o), then check the trail
      // against the copies with `audit verify --checkpoint`. The note is the whole answer.
      name: 'audit.checkpoint',
      // Public on purpose: a checkpoint is signed, carries no payload, and copies kept elsewhere
      // are what make a rewritten history detectable.
      auth: { kind: 'public' },
      path: '/audit/checkpoints/:size',
      async handler(req) {
        const want = req.params.size ?? '';
        if (want !== 'latest' && !/^[1-9][0-9]{0,15}$/.test(want)) return { status: 400, body: { error: "give a tree size or 'latest'" } };
        const list = await (await open()).listCheckpoints();
        const cp = want === 'latest' ? list.at(-1) : list.find((c) => c.size === Number(want));
        return cp ? { status: 200, body: cp.note, contentType: 'text/plain; charset=utf-8' } : { status: 404, body: { error: 'no such checkpoint' } };
      },
    },
  ];
}
