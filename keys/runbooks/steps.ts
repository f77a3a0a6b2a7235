import {
  type Bus,
  ChainwatchError,
  type CloudEvent,
  type Finding,
  FindingEvent,
  type KeyRevoked,
  KeyRevokedEvent,
  makeEvent,
  revocationSubject,
  type StateStore,
} from '../../core/index.js';
import { ApprovalError, type Approver, judgeApprovals } from './approvals.js';
import type { Step, StepParams } from './definition.js';
import type { HsmToken } from './hsm.js';

/** The token operations load pkcs11js (a native addon): only when a step needs them. */
const hsmOps = () => import('./hsm.js');
import { approvalsOf, type RunState, runEventId, type SignedRecord, signedPrefix } from './state.js';

/**
 * The step types. Each either finishes ({ done }) or waits ({ waiting, until }); a failure throws
 * a coded error. Effects are idempotent by construction: the HSM is read before it is changed
 * (hsm.ts) and every event a step publishes has an id derived from the run and step, so a step
 * repeated after a crash re-publishes the same event, which consumers treat as a redelivery.
 */
export type StepOutcome =
  { kind: 'done'; output: Record<string, unknown>; alreadyApplied: boolean } | { kind: 'waiting'; until: number; output: Record<string, unknown> };

export type StepErrorCode = 'STEP_NO_HSM' | 'STEP_NOT_RUNNABLE';
export class StepError extends ChainwatchError<StepErrorCode> {}

export interface StepContext {
  bus: Bus;
  state: StateStore;
  approvers: readonly Approver[];
  hsm: HsmToken | undefined;
  source: string;
  now(): Date;
  run: RunState;
  /** The step had recorded its intent before this attempt: a crash may have cut it after its effect. */
  resumed: boolean;
  /** Whether the runner has seen this event on the bus (after catching up with the keys topic). */
  alreadyPublished(eventId: string): Promise<boolean>;
}

const done = (output: Record<string, unknown>, alreadyApplied = false): StepOutcome => ({ kind: 'done', output, alreadyApplied });

export async function executeStep(step: Step, ctx: StepContext): Promise<StepOutcome> {
  switch (step.type) {
    case 'require-approvals':
      return requireApprovals(step.with, ctx, step.id);
    case 'hsm-disable-key': {
      const o = await (await hsmOps()).disableKey(needHsm(ctx), step.with.key, step.with.policy);
      return done({ keyId: step.with.key, token: ctx.hsm!.token, label: o.label, id: o.id, policy: o.policy }, o.alreadyApplied);
    }
    case 'publish-revocation':
      // Effective from the request: the compromise was known then, and a repeated publish carries the same data.
      return publishRevocation(ctx, step.id, step.with.key, step.with.reason, new Date(ctx.run.requestedAt));
    case 'find-signed':
      return findSigned(ctx, step.with);
    case 'open-incident':
      return publishFinding(ctx, step.id, 'runbook.incident', step.with.severity, step.with.summary);
    case 'notify':
      return publishFinding(ctx, step.id, 'runbook.notify', step.with.severity, step.with.message);
    case 'rotate':
      return rotate(ctx, step.id, step.with);
  }
}

function needHsm(ctx: StepContext): HsmToken {
  if (!ctx.hsm) throw new StepError('STEP_NO_HSM', 'this step needs keys.runbooks.hsm (the token holding the keys)');
  return ctx.hsm;
}

function requireApprovals(p: StepParams<'require-approvals'>, ctx: StepContext, stepId: string): Promise<StepOutcome> {
  return (async () => {
    const allowed = p.approvers ? ctx.approvers.filter((a) => p.approvers!.includes(a.name)) : ctx.approvers;
    if (allowed.length < p.min)
      throw new ApprovalError('APPROVALS_INSUFFICIENT', `${p.min} approvals needed but only ${allowed.length} approvers are configured`);
    const verdict = judgeApprovals(ctx.run, await approvalsOf(ctx.state, ctx.run.runId), allowed, ctx.now());
    const output = { min: p.min, of: allowed.length, approvedBy: verdict.accepted.map((a) => a.approver).sort(), rejected: verdict.rejected };
    if (verdict.accepted.length >= p.min) return done(output);
    const until = Date.parse(ctx.run.requestedAt) + p.timeout;
    if (ctx.now().getTime() >= until) {
      const err = new ApprovalError('APPROVALS_INSUFFICIENT', `${verdict.accepted.length} of the ${p.min} approvals needed by step ${stepId} arrived in time`);
      Object.assign(err, { output });
      throw err;
    }
    return { kind: 'waiting', until, output };
  })();
}

async function publishRevocation(ctx: StepContext, stepId: string, keyId: string, reason: string, at: Date, retire = false): Promise<StepOutcome> {
  const approvedBy = approvedByOf(ctx.run);
  const data: KeyRevoked = {
    kind: 'key',
    keyId,
    revokedAt: at.toISOString(),
    reason,
    actor: `runbook ${ctx.run.runbook} by ${ctx.run.requestedBy}${approvedBy.length ? `, approved by ${approvedBy.join(', ')}` : ''}`.slice(0, 256),
    origin: 'runbook',
    runId: ctx.run.runId,
  };
  const id = runEventId(ctx.run.runId, stepId, retire ? 'retire' : 'revoke');
  if (ctx.resumed && (await ctx.alreadyPublished(id))) return done({ keyId, revokedAt: data.revokedAt, eventId: id }, true);
  await ctx.bus.publish(makeEvent({ id, type: KeyRevokedEvent.type, source: ctx.source, subject: revocationSubject(data), data }));
  return done({ keyId, revokedAt: data.revokedAt, eventId: id });
}

function approvedByOf(run: RunState): string[] {
  for (const s of Object.values(run.steps)) {
    if (s.type === 'require-approvals' && Array.isArray(s.output?.approvedBy)) return s.output.approvedBy as string[];
  }
  return [];
}

/**
 * What the key signed, from the index this component keeps of the registry.artifact.verified and
 * rekor.entry events it consumed (state.ts signedPrefix). Not searched: signatures the daemon
 * never received (Rekor entries outside the collectors' watch, registries not polled).
 */
async function findSigned(ctx: StepContext, p: StepParams<'find-signed'>): Promise<StepOutcome> {
  const keys = await ctx.state.list(signedPrefix(p.key));
  const signed: SignedRecord[] = [];
  for (const k of keys.slice(0, p.limit)) {
    const r = await ctx.state.get<SignedRecord>(k);
    if (r) signed.push(r);
  }
  signed.sort((a, b) => Date.parse(a.signedAt) - Date.parse(b.signedAt));
  return done({ keyId: p.key, count: keys.length, truncated: keys.length > p.limit, signed, searched: ['registry.artifact.verified', 'rekor.entry'] });
}

async function publishFinding(ctx: StepContext, stepId: string, rule: string, severity: Finding['severity'], summary: string): Promise<StepOutcome> {
  const run = ctx.run;
  const signed = Object.values(run.steps).find((s) => s.type === 'find-signed')?.output;
  const findingId = runEventId(run.runId, stepId, rule).replaceAll('-', '');
  const key = run.parameters.key;
  const finding: Finding = {
    findingId,
    rule,
    detector: 'runbook',
    severity,
    category: 'security',
    status: 'firing',
    dedupKey: `${rule}|${run.runId}`,
    summary: summary.slice(0, 1000),
    description: `Runbook ${run.runbook} run ${run.runId}, requested by ${run.requestedBy}. Parameters: ${JSON.stringify(run.parameters)}.`,
    subject: key ? `key:${key}` : `runbook:${run.runId}`,
    labels: { runbook: run.runbook, runId: run.runId },
    evidence: {
      runId: run.runId,
      approvedBy: approvedByOf(run),
      ...(signed ? { signedCount: signed.count, signed: (signed.signed as SignedRecord[]).slice(0, 100) } : {}),
    },
    links: [],
    causedBy: [run.requestEventId],
    observedAt: ctx.now().toISOString(),
  };
  const ev: CloudEvent<Finding> = makeEvent({ id: findingId, type: FindingEvent.type, source: ctx.source, subject: finding.subject, data: finding });
  await ctx.bus.publish(ev);
  return done({ findingId, rule, severity });
}

async function rotate(ctx: StepContext, stepId: string, p: StepParams<'rotate'>): Promise<StepOutcome> {
  const hsm = needHsm(ctx);
  const label = `${p.label}-${ctx.run.runId}`.slice(0, 64);
  const key = await (await hsmOps()).generateKey(hsm, `${ctx.run.runId}\0${stepId}`, label, p.algorithm);
  // Retirement: the old key is revoked as of now + retireAfter; signatures before that stay valid.
  const retireAt = new Date(Date.parse(ctx.run.requestedAt) + p.retireAfter);
  const retired = await publishRevocation(ctx, stepId, p.key, `retired by rotation to ${key.keyId} (run ${ctx.run.runId})`, retireAt, true);
  return done(
    {
      newKeyId: key.keyId,
      label: key.label,
      id: key.id,
      publicKey: key.publicKeyPem,
      oldKeyId: p.key,
      retireAt: retireAt.toISOString(),
      retirementEventId: (retired as { output: Record<string, unknown> }).output.eventId,
    },
    key.alreadyApplied,
  );
}
