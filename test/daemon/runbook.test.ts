/**
 * The revoke-key runbook end to end in the real daemon process on the embedded bus, against
 * SoftHSM2 (a fresh token): the real `chainwatch runbook run|approve|status` CLI processes, three
 * approvers (Ed25519 file, P-256 file, P-256 in a second token), 2 of 3 needed; a duplicate, a
 * forged and an expired approval rejected with codes; the daemon SIGKILLed right after the HSM
 * disable and again right after the revocation publish, each time resuming without repeating
 * either (the token and the bus itself are checked, not only what the run says); then a later
 * signature by the revoked key is a critical key.revoked_use finding, an earlier one is not.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { EmbeddedBus, embeddedBusConfigSchema } from '../../bus/embedded/index.js';
import {
  type CloudEvent,
  type Finding,
  keyObjectSigner,
  KeyRevokedEvent,
  makeEvent,
  RunbookApprovalEvent,
  type RunbookStep,
  RunbookStepEvent,
  Secret,
  spkiKeyId,
  topicFor,
} from '../../core/index.js';
import { artifactEvent } from '../../detectors/key-misuse/testing/index.js';
import { loadRunbookHsm, signApproval } from '../../keys/index.js';
import { built, type DaemonProcess, httpStatus, journalEvents, ROOT, runCli, startDaemon } from '../helpers/daemon-process.js';
import { importKey, newToken, softhsm } from '../helpers/softhsm.js';
import { JiraStandin } from '../standins/jira.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();

describe.skipIf(!built() || softhsm.skip)('revoke-key runbook in the daemon process (SoftHSM2, embedded bus)', () => {
  it('2-of-3 approvals, bad approvals rejected, SIGKILL after the HSM disable and after the publish, then a later use is critical', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-runbook-'));
    // The compromised release key, in the HSM the runbook disables.
    const token = newToken('rb');
    const release = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    importKey(token, release.privateKey, 'release', '0a');
    const keyId = spkiKeyId(release.publicKey);
    // Approvers: alice (Ed25519 file), carol (P-256 file), bob (P-256 on his own token).
    const alice = generateKeyPairSync('ed25519');
    const carol = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bob = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bobToken = newToken('bob');
    importKey(bobToken, bob.privateKey, 'bob', 'b0');
    for (const [name, k] of [
      ['alice', alice],
      ['carol', carol],
    ] as const)
      writeFileSync(join(dir, `${name}.key`), k.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

    const jira = new JiraStandin();
    await jira.start();
    const cfg = join(dir, 'chainwatch.yaml');
    const config = (crashAt?: { step: string; phase: string }) =>
      writeFileSync(
        cfg,
        stringify({
          bus: { kind: 'embedded', embedded: { pollInterval: '50ms' } },
          sinks: {
            journal: { path: 'journal.jsonl', families: ['findings', 'keys'] },
            // The incident ticket, through the existing alert pipeline and Jira adapter.
            alerts: {
              receivers: [
                { name: 'sec-jira', kind: 'jira', baseUrl: jira.server.url, email: jira.email, apiToken: { env: 'CW_TEST_JIRA_TOKEN' }, projectKey: 'SEC' },
              ],
              delivery: { baseDelay: '10ms', maxDelay: '100ms', pollInterval: '20ms' },
            },
          },
          detectors: { keyMisuse: {} },
          keys: {
            runbooks: {
              dir: join(ROOT, 'config', 'runbooks'),
              approvers: [
                { name: 'alice', publicKey: pem(alice.publicKey) },
                { name: 'bob', publicKey: pem(bob.publicKey) },
                { name: 'carol', publicKey: pem(carol.publicKey) },
              ],
              hsm: { module: token.module, token: token.label, pin: { env: 'CW_TEST_RUNBOOK_PIN' } },
              ...(crashAt ? { crashAt } : {}),
            },
          },
          shutdown: { deadline: '10s' },
        }),
      );
    const env = { CW_TEST_JIRA_TOKEN: jira.apiToken, SOFTHSM2_CONF: token.conf, CW_TEST_RUNBOOK_PIN: token.pin, BOB_TOKEN_PIN: bobToken.pin };
    const common = ['--config', cfg, '--data-dir', dir];
    const cli = (args: string[]) => runCli([...args, ...common], undefined, env);
    const journal = join(dir, 'journal.jsonl');
    const steps = () => journalEvents<RunbookStep>(journal, RunbookStepEvent.type);
    const findings = () => journalEvents<Finding>(journal, 'dev.chainwatch.finding.v1');
    const { canSign } = await loadRunbookHsm();
    const hsm = { module: token.module, token: token.label, pin: new Secret(token.pin) };

    const producer = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({}), path: join(dir, 'bus.db') });
    await producer.start();
    const started: DaemonProcess[] = [];
    const start = async (ready = true) => {
      const d = await startDaemon(common, env);
      started.push(d);
      if (ready) await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 60_000, interval: 100 });
      return d;
    };
    try {
      config({ step: 'disable', phase: 'after-effect' });
      const d1 = await start();
      // An earlier signature by the key: what find-signed lists, and no finding.
      const signer = { kind: 'publicKey' as const, fingerprintSha256: keyId, keyId, extensions: {} };
      await producer.publish(artifactEvent({ digest: D('1'), signed: [{ signer, at: new Date(Date.now() - 3_600_000).toISOString() }] }));

      const dry = await cli(['runbook', 'run', 'revoke-key', '--key', keyId, '--reason', 'leaked in CI logs', '--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);
      expect((JSON.parse(dry.stdout) as { steps: { type: string }[] }).steps.map((s) => s.type)).toEqual([
        'require-approvals',
        'hsm-disable-key',
        'publish-revocation',
        'find-signed',
        'open-incident',
        'notify',
      ]);
      expect(await canSign(hsm, keyId)).toBe(true); // the dry run changed nothing

      const run = await cli(['runbook', 'run', 'revoke-key', '--key', keyId, '--reason', 'leaked in CI logs', '--actor', 'oncall', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { runId, parameters } = JSON.parse(run.stdout) as { runId: string; parameters: Record<string, string> };
      const status = async () => {
        const s = await cli(['runbook', 'status', runId, '--json']);
        expect(s.code, s.stderr).toBe(0);
        return JSON.parse(s.stdout) as {
          status: string;
          steps: Record<string, { status: string; alreadyApplied?: boolean; output?: Record<string, unknown> }>;
        };
      };
      await vi.waitFor(async () => expect((await status()).status).toBe('waiting'), { timeout: 30_000, interval: 200 });

      // alice approves (twice: one counts); a forged one claims carol's key; carol's own has expired.
      for (let i = 0; i < 2; i++) {
        const a = await cli(['runbook', 'approve', runId, '--key', join(dir, 'alice.key')]);
        expect(a.code, a.stderr).toBe(0);
      }
      const mallory = keyObjectSigner(generateKeyPairSync('ed25519').privateKey);
      const forged = {
        ...(await signApproval(mallory, { runId, runbook: 'revoke-key', parameters }, new Date(Date.now() + 3_600_000))),
        approverKeyId: spkiKeyId(carol.publicKey),
      };
      const expired = await signApproval(keyObjectSigner(carol.privateKey), { runId, runbook: 'revoke-key', parameters }, new Date(Date.now() - 1000));
      await producer.publish(
        [forged, expired].map((data) => makeEvent({ type: RunbookApprovalEvent.type, source: 'chainwatch://test', subject: `runbook:${runId}`, data })),
      );
      await vi.waitFor(
        async () => {
          const s = await status();
          expect(s.status).toBe('waiting');
          expect(s.steps.approvals!.output).toMatchObject({ min: 2, of: 3, approvedBy: ['alice'] });
          expect((s.steps.approvals!.output!.rejected as { code: string }[]).map((r) => r.code).sort()).toEqual([
            'APPROVAL_DUPLICATE',
            'APPROVAL_EXPIRED',
            'APPROVAL_FORGED',
          ]);
        },
        { timeout: 30_000, interval: 200 },
      );
      expect(await canSign(hsm, keyId)).toBe(true); // one valid approval is not enough

      // bob approves with the key in his token: 2 of 3, the run proceeds and the daemon is killed
      // right after the HSM disable, before the step's outcome is recorded.
      const b = await cli([
        'runbook',
        'approve',
        runId,
        '--key',
        `pkcs11:token=${bobToken.label};object=bob`,
        '--module',
        bobToken.module,
        '--pin-env',
        'BOB_TOKEN_PIN',
      ]);
      expect(b.code, b.stderr).toBe(0);
      expect(await d1.exited).toBe(null); // killed by SIGKILL
      expect(await canSign(hsm, keyId)).toBe(false);

      // Resumed: the disable finds the key already disabled; killed again right after the revocation is on the bus.
      config({ step: 'revoke', phase: 'after-effect' });
      // It resumes the run at once and may die before it even listens (startDaemon then throws).
      const d2exit = await start(false).then(
        (d2) => d2.exited,
        (err: Error) => (/exited early \(null\)/.test(err.message) ? null : Promise.reject(err)),
      );
      expect(d2exit).toBe(null);

      config();
      const d3 = await start();
      await vi.waitFor(async () => expect((await status()).status).toBe('done'), { timeout: 60_000, interval: 200 });
      const final = await status();
      expect(final.steps.disable).toMatchObject({ status: 'done', alreadyApplied: true });
      expect(final.steps.revoke).toMatchObject({ status: 'done', alreadyApplied: true });
      expect(final.steps.signed!.output).toMatchObject({ count: 1, signed: [{ subject: `ghcr.io/acme/app@${D('1')}`, via: 'registry' }] });

      // The bus itself holds exactly one revocation (the journal may repeat a redelivered record).
      const onBus: CloudEvent[] = [];
      const sub = await producer.subscribe({
        group: 'test-reader',
        topics: [topicFor('keys')],
        fromBeginning: true,
        ephemeral: true,
        handler: async (rec) => void onBus.push(rec.event),
      });
      await vi.waitFor(() => expect(onBus.filter((e) => e.type === RunbookStepEvent.type && (e.data as RunbookStep).step === 'run')).toHaveLength(1), {
        timeout: 30_000,
      });
      await sub.stop();
      const revocations = onBus.filter((e) => e.type === KeyRevokedEvent.type);
      expect(revocations).toHaveLength(1);
      expect(revocations[0]!.data).toMatchObject({ kind: 'key', keyId, origin: 'runbook', runId });
      expect(String((revocations[0]!.data as { actor: string }).actor)).toContain('bob');

      // Every step's outcome is an event (so an audit record): started and done for each, done for the run.
      await vi.waitFor(() => expect(steps().some((s) => s.step === 'run' && s.status === 'done')).toBe(true), { timeout: 30_000 });
      for (const id of ['approvals', 'disable', 'revoke', 'signed', 'incident', 'notify'])
        expect(steps().filter((s) => s.step === id && s.status === 'done').length, id).toBeGreaterThanOrEqual(1);
      const incident = findings().find((f) => f.rule === 'runbook.incident');
      expect(incident).toMatchObject({ severity: 'critical', subject: `key:${keyId}`, evidence: { runId, approvedBy: ['alice', 'bob'], signedCount: 1 } });
      await vi.waitFor(() => expect([...jira.issues.values()].filter((i) => i.fields.summary.includes(`Signing key ${keyId} revoked`))).toHaveLength(1), {
        timeout: 30_000,
        interval: 100,
      });

      // A later signature by the revoked key: critical; the earlier one stays clean.
      await producer.publish(artifactEvent({ digest: D('2'), signed: [{ signer, at: new Date(Date.now() + 60_000).toISOString() }] }));
      await vi.waitFor(() => expect(findings().filter((f) => f.rule === 'key.revoked_use')).not.toHaveLength(0), { timeout: 60_000, interval: 100 });
      const uses = findings().filter((f) => f.rule === 'key.revoked_use');
      expect(new Set(uses.map((f) => f.subject))).toEqual(new Set([`ghcr.io/acme/app@${D('2')}`]));
      expect(uses[0]).toMatchObject({ severity: 'critical', category: 'security' });

      d3.child.kill('SIGTERM');
      expect(await d3.exited).toBe(0);
    } finally {
      for (const d of started) d.child.kill('SIGKILL');
      await producer.stop();
      await jira.stop();
    }
  }, 300_000);
});
