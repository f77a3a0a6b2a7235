import { isAbsolute, join } from 'node:path';
import { schedule, type ScheduledTask } from 'node-cron';
import {
  type ArtifactVerified,
  ArtifactVerifiedEvent,
  type CloudEvent,
  type Component,
  type ComponentContext,
  type KeyRevoked,
  KeyRevokedEvent,
  type RekorEntry,
  RekorEntryEvent,
  revocationSubject,
  type Subscription,
  topicFor,
} from '../../core/index.js';
import type { InventoryConfig } from './config.js';
import { type InventoryProblem, mergeInventory, readEntries } from './inventory.js';
import { rotationSchedule, scheduleEvent, scheduleFingerprint } from './schedule.js';
import { InventoryStore, type Sighting } from './store.js';

/** The inventory's SQLite file: `file` relative to the data directory unless absolute. */
export const inventoryPath = (cfg: Pick<InventoryConfig, 'file'>, dataDir: string): string => (isAbsolute(cfg.file) ? cfg.file : join(dataDir, cfg.file));

/**
 * Records, per key id, the last time chainwatch saw the key sign, and revocations:
 * - `registry.artifact.verified`: each verified signature and attestation's `signer.keyId`, and
 *   its keyless identity (`identity:<issuer>|<san>`), at `signedAt` (else the check time);
 * - `rekor.entry`: each signer's key (a public-key signer's fingerprint is its SPKI SHA-256, the
 *   keyId) and keyless identity, at the integrated time (else the event time);
 * - `keys.revoked`: the key or identity is revoked as of `revokedAt`.
 * Invariant: the handler returns (and the bus commits the offset) only after SQLite has the write.
 *
 * It also publishes the rotation schedule (schedule.ts) at start, on `rescan` and after a
 * revocation, when it differs from the last one published. The fingerprint is stored only after the
 * publish is durable, so a crash in between publishes it again at the next start.
 */
export class KeyInventoryRecorder implements Component {
  readonly name = 'keys.inventory';
  #store: InventoryStore | undefined;
  #sub: Subscription | undefined;
  #task: ScheduledTask | undefined;
  /** Schedule publications run one at a time (start, cron, revocations). */
  #chain: Promise<void> = Promise.resolve();
  /** A run is queued behind the one under way: further requests join it (a replay of many revocations runs once). */
  #queued: Promise<void> | undefined;
  /** What the last read of the config keys and tokens found: a revocation re-merges it without reading again. */
  #read: Awaited<ReturnType<typeof readEntries>> | undefined;
  #reread = true;
  /**
   * Tokens whose PIN was refused: never logged in to again by this component (HSMs lock a PIN
   * after a few failures, which would also stop signing on that token). A config change makes a
   * new component, which tries once more.
   */
  readonly #refused = new Map<string, InventoryProblem>();

  constructor(
    private readonly config: InventoryConfig,
    private readonly ctx: ComponentContext,
  ) {}

  async start(): Promise<void> {
    if (this.#store) return;
    this.#store = InventoryStore.open(inventoryPath(this.config, this.ctx.dataDir));
    this.#sub = await this.ctx.bus.subscribe({
      group: this.config.group,
      topics: [topicFor('registry'), topicFor('rekor'), topicFor('keys')],
      fromBeginning: true,
      handler: async (rec) => this.record(rec.event),
    });
    this.#task = schedule(this.config.rescan, () => this.publishSchedule(), { name: 'keys.inventory:rescan', noOverlap: true });
    void this.publishSchedule();
  }

  async stop(): Promise<void> {
    await this.#task?.destroy();
    this.#task = undefined;
    const sub = this.#sub;
    this.#sub = undefined;
    await sub?.stop();
    await this.#chain;
    this.#store?.close();
    this.#store = undefined;
  }

  /** Every write is durable when record() returns; flush waits for a schedule publication under way. */
  async flush(): Promise<void> {
    await this.#chain;
  }

  /**
   * Publishes the rotation schedule if it changed (never throws: logged). `reread` (start, rescan)
   * reads the config keys and the tokens again; a revocation only changes states, so it re-merges
   * the last read with the store's revocations (no file reads, no token logins per revocation).
   */
  publishSchedule(reread = true): Promise<void> {
    this.#reread ||= reread;
    if (this.#queued) return this.#queued;
    const run = async () => {
      this.#queued = undefined;
      const store = this.#store;
      if (!store) return;
      if (this.#reread || !this.#read) {
        this.#reread = false;
        this.#read = await readEntries(this.config, this.#refused);
      }
      const { entries, problems } = this.#read;
      for (const p of problems) if (p.code === 'KEY_PIN_INCORRECT' && p.origin.startsWith('token:')) this.#refused.set(p.origin.slice('token:'.length), p);
      const sched = rotationSchedule(mergeInventory(entries, new Map(), store.revocations()), problems);
      const fp = scheduleFingerprint(sched);
      if (store.published('rotation_schedule') === fp) return;
      await this.ctx.bus.publish([scheduleEvent(sched, this.ctx.now())]);
      store.markPublished('rotation_schedule', fp); // after the durable publish (see the class comment)
    };
    this.#chain = this.#chain.then(run).catch((err: unknown) => this.ctx.logger.warn({ err }, 'keys.inventory: publishing the rotation schedule failed'));
    this.#queued = this.#chain;
    return this.#chain;
  }

  record(ev: CloudEvent): void {
    const store = this.#store;
    if (!store) return;
    for (const s of sightingsOf(ev)) store.saw(s);
    if (ev.type === KeyRevokedEvent.type) {
      const r = ev.data as KeyRevoked;
      const id = r.kind === 'key' ? r.keyId : revocationSubject(r);
      store.revoke({ id, revokedAt: r.revokedAt, reason: r.reason, actor: r.actor, eventId: ev.id });
      void this.publishSchedule(false); // the key's state changed: revoked keys leave the schedule's paging
    }
  }
}

/** The signatures an event shows, as sightings by key id or identity. */
export function sightingsOf(ev: CloudEvent): Sighting[] {
  const out: Sighting[] = [];
  const add = (id: string | undefined, at: string | undefined) => {
    if (id && at) out.push({ id, lastSeen: new Date(at).toISOString(), eventType: ev.type, eventId: ev.id, ...(ev.subject ? { subject: ev.subject } : {}) });
  };
  const identity = (issuer?: string, san?: string) => (issuer && san ? `identity:${issuer}|${san}` : undefined);
  switch (ev.type) {
    case ArtifactVerifiedEvent.type: {
      const d = ev.data as ArtifactVerified;
      for (const s of [...d.signatures, ...d.attestations]) {
        if (!s.verified || !s.signer) continue; // an unverified signature is not the key signing
        const at = s.signedAt ?? d.checkedAt;
        add(s.signer.keyId, at);
        add(identity(s.signer.issuer, s.signer.san), at);
      }
      break;
    }
    case RekorEntryEvent.type: {
      const d = ev.data as RekorEntry;
      const at = d.integratedTime ?? ev.time;
      for (const s of d.signers) {
        if (s.kind === 'publicKey') add(s.fingerprintSha256?.toLowerCase(), at);
        add(identity(s.issuer, s.san), at);
      }
      break;
    }
  }
  return out;
}
