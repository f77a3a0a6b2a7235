/**
 * Revocation latency for bench/hsm.bench.ts: the revoke-key runbook (keys/runbooks RunbookRunner,
 * the shipped config/runbooks/revoke-key.yaml, approvals already present) and a direct
 * keys.revoked.v1 publication, each measured to the first critical key.revoked_use finding of the
 * key-misuse detector for a use it saw before the revocation. One embedded bus, both components in
 * this process; rounds interleaved.
 */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { EmbeddedBus, embeddedBusConfigSchema } from '../../bus/embedded/index.js';
import {
  type CloudEvent,
  type ComponentContext,
  type Finding,
  keyObjectSigner,
  KeyRevokedEvent,
  makeEvent,
  noopMetrics,
  RunbookApprovalEvent,
  RunbookRequestedEvent,
  silentLogger,
  spkiKeyId,
  topicFor,
} from '../../core/index.js';
import { createKeyMisuseDetector } from '../../detectors/key-misuse/index.js';
import { artifactEvent } from '../../detectors/key-misuse/testing/index.js';
import { createKeyProvider, RunbookRunner, runbooksConfigSchema, signApproval } from '../../keys/index.js';

const ROUNDS = 5;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function revocationLatencyWith(o: {
  module: string;
  token: string;
  pin: string;
  dir: string;
  importKey: (label: string, id: string, key: KeyObject) => void;
}): Promise<{ runbookToFinding: number; revokeToFinding: number }> {
  const bus = new EmbeddedBus({ ...embeddedBusConfigSchema.parse({ pollInterval: '10ms' }), path: join(o.dir, 'bus.db') });
  await bus.start();
  const state = bus.stateStore();
  const ctx: ComponentContext = {
    bus,
    state,
    logger: silentLogger,
    metrics: noopMetrics,
    dataDir: o.dir,
    keys: createKeyProvider(),
    fail: (err) => console.error('component failed', err),
    now: () => new Date(),
  };
  const approvers = [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')];
  const runner = new RunbookRunner(
    runbooksConfigSchema.parse({
      dir: join(import.meta.dirname, '..', '..', 'config', 'runbooks'),
      approvers: approvers.map((a, i) => ({ name: `approver${i}`, publicKey: a.publicKey.export({ type: 'spki', format: 'pem' }).toString() })),
      hsm: { module: o.module, token: o.token, pin: o.pin },
    }),
    ctx,
  );
  const detector = createKeyMisuseDetector({}, ctx);
  const waiting = new Map<string, () => void>();
  const findings = await bus.subscribe({
    group: 'bench-findings',
    topics: [topicFor('findings')],
    handler: async (rec) => {
      const f = rec.event.data as Finding;
      if (f.rule === 'key.revoked_use') waiting.get(f.subject)?.();
    },
  });
  await detector.start();
  await runner.start();

  /** Publishes a use of `keyId` signed a minute from now, then times `revoke` to its critical finding. */
  async function timed(keyId: string, revoke: () => Promise<void>): Promise<number> {
    const digest = `sha256:${randomBytes(32).toString('hex')}`;
    const found = new Promise<void>((resolve) => waiting.set(`ghcr.io/acme/app@${digest}`, resolve));
    const signer = { kind: 'publicKey' as const, fingerprintSha256: keyId, keyId, extensions: {} };
    await bus.publish(artifactEvent({ digest, signed: [{ signer, at: new Date(Date.now() + 60_000).toISOString() }] }));
    await new Promise((r) => setTimeout(r, 200)); // the detector has recorded the use
    const t0 = performance.now();
    await revoke();
    await found;
    return (performance.now() - t0) * 1000;
  }

  const viaRunbook: number[] = [];
  const direct: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const victim = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    o.importKey(`victim${round}`, (0x80 + round).toString(16), victim.privateKey);
    const keyId = spkiKeyId(victim.publicKey);
    const run = { runId: `bench-${round}-${randomBytes(4).toString('hex')}`, runbook: 'revoke-key', parameters: { key: keyId, reason: 'bench' } };
    const approvals = await Promise.all(approvers.map((a) => signApproval(keyObjectSigner(a.privateKey), run, new Date(Date.now() + 3_600_000))));
    await bus.publish(
      approvals.map((data) => makeEvent({ type: RunbookApprovalEvent.type, source: 'chainwatch://bench', subject: `runbook:${run.runId}`, data })),
    );
    viaRunbook.push(
      await timed(keyId, () =>
        bus.publish(
          makeEvent({
            type: RunbookRequestedEvent.type,
            source: 'chainwatch://bench',
            subject: `runbook:${run.runId}`,
            data: { ...run, requestedBy: 'bench', origin: 'cli' },
          }),
        ),
      ),
    );
    const other = spkiKeyId(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    const revocation = { kind: 'key', keyId: other, revokedAt: new Date().toISOString(), reason: 'bench', actor: 'bench', origin: 'cli' } as const;
    const ev: CloudEvent = makeEvent({ type: KeyRevokedEvent.type, source: 'chainwatch://bench', subject: `key:${other}`, data: revocation });
    direct.push(await timed(other, () => bus.publish(ev)));
  }
  await runner.stop();
  await detector.stop();
  await findings.stop();
  state.close();
  await bus.stop();
  return { runbookToFinding: median(viaRunbook), revokeToFinding: median(direct) };
}
