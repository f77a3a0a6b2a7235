import { createHash } from 'node:crypto';
import type { RunbookApproval, StateStore } from '../../core/index.js';

/**
 * A run's durable record in the StateStore (the embedded bus's own database by default).
 * Invariant: a step's record is durable (put resolved) before its effect starts ("intent") and
 * again before the next step starts ("done"), so a run killed anywhere resumes at the step it was
 * in, and that step reads the world before acting (hsm.ts) or repeats an idempotent act with the
 * same ids (events).
 */
export type StepStatus = 'intent' | 'waiting' | 'done' | 'failed';
export type RunStatus = 'running' | 'waiting' | 'done' | 'failed';

export interface StepRecord {
  status: StepStatus;
  type: string;
  alreadyApplied?: boolean;
  output?: Record<string, unknown>;
  error?: { code: string; message: string };
  /** Step statuses whose outcome event is durably on the bus. */
  published: string[];
  at: string;
}

export interface RunState {
  runId: string;
  runbook: string;
  parameters: Record<string, string>;
  requestedBy: string;
  requestedAt: string;
  requestEventId: string;
  status: RunStatus;
  steps: Record<string, StepRecord>;
  error?: { code: string; message: string };
  /** Run-level outcome events published (done / failed). */
  published: string[];
}

export interface SignedRecord {
  subject: string;
  digest?: string;
  signedAt: string;
  via: 'registry' | 'rekor';
  eventId: string;
}

export const RUN_PREFIX = 'runbook:run:';
const runKey = (runId: string) => `${RUN_PREFIX}${runId}`;
const approvalPrefix = (runId: string) => `runbook:approval:${runId}:`;
/** Revocations this component published and has seen on the bus, by event id. */
export const PUBLISHED_PREFIX = 'runbook:published:';
export const signedPrefix = (keyId: string) => `runbook:signed:${keyId}:`;

export const getRun = (s: StateStore, runId: string) => s.get<RunState>(runKey(runId));
export const putRun = (s: StateStore, r: RunState) => s.put(runKey(r.runId), r);

export async function listRuns(s: StateStore): Promise<string[]> {
  return (await s.list(RUN_PREFIX)).map((k) => k.slice(RUN_PREFIX.length));
}

export const putApproval = (s: StateStore, eventId: string, a: RunbookApproval) => s.put(`${approvalPrefix(a.runId)}${eventId}`, a);

export async function approvalsOf(s: StateStore, runId: string): Promise<RunbookApproval[]> {
  const out: RunbookApproval[] = [];
  for (const k of await s.list(approvalPrefix(runId))) {
    const a = await s.get<RunbookApproval>(k);
    if (a) out.push(a);
  }
  return out;
}

/** Stable ids for what a run publishes: the same run, step and status always give the same id. */
export function runEventId(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  const x = h.digest('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
