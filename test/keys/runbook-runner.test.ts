/**
 * The runbook runner in this process on the real embedded bus with SoftHSM2 (a fresh token per
 * test): rotate-key generates a key in the token and schedules the old key's retirement; too few
 * approvals fail the run with APPROVALS_INSUFFICIENT at the step's timeout and leave the key
 * signing; a runbook file that became invalid fails the run with its code.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EmbeddedBus, embeddedBusConfigSchema } from '../../bus/embedded/index.js';
import {
  type CloudEvent,
  type ComponentContext,
  type Finding,
  type KeyRevoked,
  KeyRevokedEvent,
  keyObjectSigner,
  makeEvent,
  noopMetrics,
  RunbookApprovalEvent,
  RunbookRequestedEvent,
  type RunbookStep,
  Secret,
  silentLogger,
  spkiKeyId,
  topicFor,
} from '../../core/index.js';
import { createKeyProvider, loadRunbookHsm, RunbookRunner, runbookRoutes, runbooksConfigSchema, signApproval } from '../../keys/index.js';
import { ROOT } from '../helpers/daemon-process.js';
import { importKey, newToken, softhsm } from '../helpers/softhsm.js';

const SHIPPED = join(ROOT, 'config', 'runbooks');

async function setup(dir: string) {
  const token = newToken('rr');
  const old = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  importKey(token, old.privateKey, 'release', '0a');
  const approvers = [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')];
  const tmp = mkdtempSync(join(tmpdir(), 'cw-rr-'));
  const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollInterval: '20ms' }), path: join(tmp, 'bus.db') });
  await bus.start();
  const state = bus.stateStore();
  const failures: unknown[] = [];
  const ctx: ComponentContext = {
    bus,
    state,
    logger: silentLogger,
    metrics: noopMetrics,
    dataDir: tmp,
    keys: createKeyProvider(),
    fail: (e) => failures.push(e),
    now: () => new Date(),
  };
  const config = runbooksConfigSchema.parse({
    dir,
    approvers: approvers.map((a, i) => ({ name: `a${i}`, publicKey: a.publicKey.export({ type: 'spki', format: 'pem' }).toString() })),
    hsm: { module: token.module, token: token.label, pin: token.pin },
    api: { tokens: [{ token: 'x'.repeat(32), principal: 'ops', role: 'responder' }] },
  });
  const runner = new RunbookRunner(config, ctx);
  await runner.start();
  const events: CloudEvent[] = [];
  const reader = await bus.subscribe({
    group: 'reader',
    topics: [topicFor('keys'), topicFor('findings')],
    fromBeginning: true,
    ephemeral: true,
    handler: async (r) => void events.push(r.event),
  });
  const keyId = spkiKeyId(old.publicKey);
  const request = async (runbook: string, approvals: number) => {
    const run = { runId: `t-${Math.random().toString(16).slice(2)}`, runbook, parameters: { key: keyId, reason: 'test' } };
    for (const a of approvers.slice(0, approvals)) {
      const data = await signApproval(keyObjectSigner(a.privateKey), run, new Date(Date.now() + 600_000));
      await bus.publish(makeEvent({ type: RunbookApprovalEvent.type, source: 'chainwatch://test', subject: `runbook:${run.runId}`, data }));
    }
    await bus.publish(
      makeEvent({
        type: RunbookRequestedEvent.type,
        source: 'chainwatch://test',
        subject: `runbook:${run.runId}`,
        data: { ...run, requestedBy: 'test', origin: 'cli' },
      }),
    );
    return run.runId;
  };
  const runOutcome = async (runId: string) => {
    let out: RunbookStep | undefined;
    await vi.waitFor(
      () => {
        out = events.map((e) => e.data as RunbookStep).find((s) => s.runId === runId && s.step === 'run');
        expect(out).toBeDefined();
      },
      { timeout: 30_000, interval: 50 },
    );
    return out!;
  };
  const close = async () => {
    await reader.stop();
    await runner.stop();
    state.close();
    await bus.stop();
  };
  const hsm = { module: token.module, token: token.label, pin: new Secret(token.pin) };
  return { token, keyId, request, runOutcome, events, close, failures, hsm, approvers, routes: runbookRoutes(config, tmp) };
}

describe.skipIf(softhsm.skip)('runbook runner on the embedded bus with SoftHSM2', () => {
  it('rotate-key: a new P-256 key in the token, its public key in the outcome, the old key retired 7 days on', async () => {
    const t = await setup(SHIPPED);
    try {
      const runId = await t.request('rotate-key', 2);
      expect(await t.runOutcome(runId)).toMatchObject({ status: 'done' });
      const rotated = t.events.map((e) => e.data as RunbookStep).find((s) => s.runId === runId && s.step === 'rotate' && s.status === 'done')!;
      const out = rotated.output as { newKeyId: string; publicKey: string; retireAt: string; label: string };
      expect(out.publicKey).toContain('BEGIN PUBLIC KEY');
      const signer = await createKeyProvider().open({
        pkcs11: { uri: `pkcs11:token=${t.token.label};object=${out.label}`, module: t.token.module, pin: new Secret(t.token.pin), sessions: 1 },
      });
      expect(signer.keyId).toBe(out.newKeyId);
      await signer.close?.();
      const retire = t.events.filter((e) => e.type === KeyRevokedEvent.type).map((e) => e.data as KeyRevoked);
      expect(retire).toHaveLength(1);
      expect(retire[0]).toMatchObject({ kind: 'key', keyId: t.keyId, origin: 'runbook', runId });
      const request = t.events.find((e) => e.type === RunbookRequestedEvent.type)!;
      expect(Date.parse(retire[0]!.revokedAt) - Date.parse(request.time!)).toBe(7 * 86_400_000);
      expect(await (await loadRunbookHsm()).canSign(t.hsm, t.keyId)).toBe(true); // retired later, not disabled now
      expect(t.events.some((e) => (e.data as Finding).rule === 'runbook.notify')).toBe(true);
      expect(t.failures).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('one approval of the two needed: APPROVALS_INSUFFICIENT at the timeout, the key untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-rb-'));
    writeFileSync(
      join(dir, 'revoke-key.yaml'),
      "name: revoke-key\nparameters: { key: {}, reason: {} }\nsteps:\n  - { id: approvals, type: require-approvals, with: { min: 2, timeout: 2s } }\n  - { id: disable, type: hsm-disable-key, with: { key: '${key}' } }\n",
    );
    const t = await setup(dir);
    try {
      const runId = await t.request('revoke-key', 1);
      const outcome = await t.runOutcome(runId);
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'APPROVALS_INSUFFICIENT' } });
      expect(await (await loadRunbookHsm()).canSign(t.hsm, t.keyId)).toBe(true);
      expect(t.events.filter((e) => e.type === KeyRevokedEvent.type)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('HTTP API: a responder starts a run, an analyst may not; approvals posted by an approver; the run reads back', async () => {
    const t = await setup(SHIPPED);
    try {
      const route = (name: string) => t.routes.find((r) => r.name === name)!;
      const req = (role: string, body: unknown, params: Record<string, string> = {}) => ({
        method: 'POST' as const,
        params,
        query: new URLSearchParams(),
        headers: {},
        body: Buffer.from(JSON.stringify(body)),
        principal: { id: `bearer:${role}`, roles: [role] },
        signal: new AbortController().signal,
      });
      const start = { runbook: 'revoke-key', parameters: { key: t.keyId, reason: 'api test' } };
      expect((await route('runbooks.run.start').handler(req('analyst', start))).status).toBe(403);
      expect(await route('runbooks.run.start').handler(req('responder', { runbook: 'revoke-key', parameters: { key: 'nope', reason: 'x' } }))).toMatchObject({
        status: 400,
        body: { code: 'RUNBOOK_PARAMETER_INVALID' },
      });
      const started = await route('runbooks.run.start').handler(req('responder', start));
      expect(started.status).toBe(202);
      const { runId, parameters } = started.body as { runId: string; parameters: Record<string, string> };
      const run = { runId, runbook: 'revoke-key', parameters };
      for (const a of t.approvers.slice(0, 2)) {
        const approval = await signApproval(keyObjectSigner(a.privateKey), run, new Date(Date.now() + 600_000));
        expect((await route('runbooks.run.approve').handler(req('responder', approval, { id: runId }))).status).toBe(403);
        expect((await route('runbooks.run.approve').handler(req('approver', approval, { id: runId }))).status).toBe(202);
      }
      expect(await t.runOutcome(runId)).toMatchObject({ status: 'done' });
      const got = await route('runbooks.run.get').handler({ ...req('analyst', {}, { id: runId }), method: 'GET', body: undefined });
      expect(got).toMatchObject({ status: 200, body: { runId, status: 'done', requestedBy: 'bearer:responder' } });
      expect(await (await loadRunbookHsm()).canSign(t.hsm, t.keyId)).toBe(false);
    } finally {
      await t.close();
    }
  });

  it('a runbook file that no longer loads fails the run with its code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-rb-'));
    writeFileSync(join(dir, 'revoke-key.yaml'), 'name: revoke-key\nparameters: { key: {}, reason: {} }\nsteps:\n  - { id: a, type: wipe-disk }\n');
    const t = await setup(dir);
    try {
      expect(await t.runOutcome(await t.request('revoke-key', 2))).toMatchObject({ status: 'failed', error: { code: 'RUNBOOK_UNKNOWN_STEP' } });
    } finally {
      await t.close();
    }
  });
});
