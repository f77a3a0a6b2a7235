import { isAbsolute, join } from 'node:path';
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
 */
export class KeyInventoryRecorder implements Component {
  readonly name = 'keys.inventory';
  #store: InventoryStore | undefined;
  #sub: Subscription | undefined;

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
  }

  async stop(): Promise<void> {
    const sub = this.#sub;
    this.#sub = undefined;
    await sub?.stop();
    this.#store?.close();
    this.#store = undefined;
  }

  /** Every write is durable when record() returns: nothing is buffered. */
  async flush(): Promise<void> {}

  record(ev: CloudEvent): void {
    const store = this.#store;
    if (!store) return;
    for (const s of sightingsOf(ev)) store.saw(s);
    if (ev.type === KeyRevokedEvent.type) {
      const r = ev.data as KeyRevoked;
      const id = r.kind === 'key' ? r.keyId : revocationSubject(r);
      store.revoke({ id, revokedAt: r.revokedAt, reason: r.reason, actor: r.actor, eventId: ev.id });
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
