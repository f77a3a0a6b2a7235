import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  type Bus,
  describeError,
  type HttpRoute,
  makeEvent,
  type RouteReply,
  type RouteRequest,
  RunbookApprovalEvent,
  runbookApprovalSchema,
  RunbookRequestedEvent,
  type StateStore,
} from '../../core/index.js';
import type { RunbooksConfig } from './config.js';
import { bindParameters, loadRunbook } from './definition.js';
import { getRun } from './state.js';

/**
 * The responders' HTTP API (bearer tokens, each with one role):
 *   GET  /runbooks/runs/:id             analyst, responder, approver, admin: the run and its steps
 *   POST /runbooks/runs                 responder, admin: {runbook, parameters} -> 202 {runId}
 *   POST /runbooks/runs/:id/approvals   approver, admin: a signed approval (runbook.approval.v1 data)
 * A started run names its caller (requestedBy = the token's principal) and every request or
 * approval is an event, so the audit trail holds who did what. Routes get no bus at plan time: the
 * runner binds its bus and state here when it starts (per data directory); until then 503.
 */
export const ROLES = ['analyst', 'responder', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const bindings = new Map<string, { bus: Bus; state: StateStore }>();
export const bindApi = (dataDir: string, b: { bus: Bus; state: StateStore }): void => void bindings.set(dataDir, b);
export const unbindApi = (dataDir: string): void => void bindings.delete(dataDir);

const startSchema = z.strictObject({ runbook: z.string().min(1).max(64), parameters: z.record(z.string(), z.string().max(2000)).default({}) });
const JSON_BODY = { maxBytes: 64 * 1024, contentTypes: ['application/json'] };
const problem = (status: number, code: string, message: string): RouteReply => ({ status, body: { code, message } });

function allowed(req: RouteRequest, roles: readonly Role[]): boolean {
  return req.principal.roles.some((r) => r === 'admin' || (roles as readonly string[]).includes(r));
}

function parseJson(req: RouteRequest): unknown {
  try {
    return JSON.parse(req.body?.toString('utf8') ?? '');
  } catch {
    return undefined;
  }
}

export function runbookRoutes(cfg: RunbooksConfig, dataDir: string): HttpRoute[] {
  if (cfg.api.tokens.length === 0) return [];
  const auth: HttpRoute['auth'] = { kind: 'bearer', tokens: cfg.api.tokens.map((t) => ({ token: t.token, principal: t.principal, roles: [t.role] })) };
  const bound = () => bindings.get(dataDir);
  const unavailable: RouteReply = {
    status: 503,
    headers: { 'retry-after': '5' },
    body: { code: 'RUNBOOKS_NOT_RUNNING', message: 'the runbook component is not running' },
  };
  return [
    {
      name: 'runbooks.run.get',
      method: 'GET',
      path: '/runbooks/runs/:id',
      auth,
      async handler(req) {
        if (!allowed(req, ['analyst', 'responder', 'approver'])) return problem(403, 'FORBIDDEN', 'this role may not read runs');
        const b = bound();
        if (!b) return unavailable;
        const run = await getRun(b.state, req.params.id!);
        return run ? { status: 200, body: run } : problem(404, 'RUN_NOT_FOUND', `no run ${req.params.id}`);
      },
    },
    {
      name: 'runbooks.run.start',
      method: 'POST',
      path: '/runbooks/runs',
      auth,
      body: JSON_BODY,
      async handler(req) {
        if (!allowed(req, ['responder'])) return problem(403, 'FORBIDDEN', 'only responders start runs');
        const b = bound();
        if (!b) return unavailable;
        const body = startSchema.safeParse(parseJson(req));
        if (!body.success) return problem(400, 'BAD_REQUEST', body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        let parameters: Record<string, string>;
        try {
          parameters = bindParameters(loadRunbook(cfg.dir, body.data.runbook), body.data.parameters);
        } catch (err) {
          const { code, message } = describeError(err);
          return problem(400, code, message);
        }
        const runId = `${body.data.runbook}-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
        const data = { runId, runbook: body.data.runbook, parameters, requestedBy: req.principal.id, origin: 'api' as const };
        await b.bus.publish(makeEvent({ type: RunbookRequestedEvent.type, source: cfg.source, subject: `runbook:${runId}`, data }));
        return { status: 202, body: { runId, runbook: data.runbook, parameters } };
      },
    },
    {
      name: 'runbooks.run.approve',
      method: 'POST',
      path: '/runbooks/runs/:id/approvals',
      auth,
      body: JSON_BODY,
      async handler(req) {
        if (!allowed(req, ['approver'])) return problem(403, 'FORBIDDEN', 'only approvers approve');
        const b = bound();
        if (!b) return unavailable;
        const body = runbookApprovalSchema.safeParse(parseJson(req));
        if (!body.success) return problem(400, 'BAD_REQUEST', body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        if (body.data.runId !== req.params.id) return problem(400, 'APPROVAL_MISMATCH', 'the approval names another run');
        // Verified by the runner against the approvers' keys; the token only says who may submit.
        const ev = makeEvent({ type: RunbookApprovalEvent.type, source: `${cfg.source}/api`, subject: `runbook:${body.data.runId}`, data: body.data });
        await b.bus.publish(ev);
        return { status: 202, body: { eventId: ev.id } };
      },
    },
  ];
}
