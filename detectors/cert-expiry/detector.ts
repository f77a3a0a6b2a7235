import { isAbsolute, join } from 'node:path';
import { schedule, type ScheduledTask } from 'node-cron';
import {
  type CloudEvent,
  type Component,
  type ComponentContext,
  type CtWatchedCertificate,
  CtWatchedCertificateEvent,
  type KeyRotationSchedule,
  KeyRotationScheduleEvent,
  parseConfig,
  type Subscription,
  topicFor,
} from '../../core/index.js';
import { loadTrustedRoot, loadX509 } from '../../trust/index.js';
import { findingsCounter } from '../shared/index.js';
import { type CertExpiryConfig, type CertExpiryConfigInput, certExpiryConfigSchema } from './config.js';
import { expiringFinding, expiringKey, resolvedFinding } from './findings.js';
import { type Fired, Inventory, type Item, type Source } from './inventory.js';
import { endpointSlot, keyScan, nodeTlsChain, scanFiles, scanTls, scanTrustedRoot, scanTuf, type SlotScan, type TlsChainReader } from './sources.js';

/**
 * Keeps the certificate inventory and pages before things expire. Scans (each on its own cron
 * schedule, and once at start) refresh the inventory's slots; evaluate() compares every item with
 * the thresholds. Per slot change, in this order:
 *   1. items that left the inventory (no slot holds them) have their fired thresholds resolved:
 *      the resolved findings are published first;
 *   2. only then, in one transaction, the slot is replaced and those thresholds forgotten.
 * A crash between 1 and 2 repeats 1 on the next scan with the same finding ids (they derive from
 * item and threshold): at-least-once, never a finding that stays firing for a renewed certificate.
 * evaluate() likewise publishes, then records what fired.
 */
export interface CertExpiryDeps {
  readTls?: TlsChainReader;
  /** The daemon's serving certificate file (ModuleHost.servingCertificate), watched when `serving.enabled`. */
  servingCertificate?: string | undefined;
}

export class CertExpiryDetector implements Component {
  readonly name = 'detector.cert-expiry';
  private inventory: Inventory | undefined;
  private sub: Subscription | undefined;
  private tasks: ScheduledTask[] = [];
  private parse: ((input: Uint8Array | string) => import('../../trust/index.js').Certificate[]) | undefined;
  private readonly counted: ReturnType<typeof findingsCounter>;
  /** Scans and evaluations run one at a time: cron ticks and CT sightings share the inventory. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly config: CertExpiryConfig,
    private readonly ctx: ComponentContext,
    private readonly deps: CertExpiryDeps = {},
  ) {
    this.counted = findingsCounter(ctx.metrics);
  }

  get inventoryPath(): string {
    return isAbsolute(this.config.inventoryFile) ? this.config.inventoryFile : join(this.ctx.dataDir, this.config.inventoryFile);
  }

  async start(): Promise<void> {
    if (this.inventory) return;
    this.parse = (await loadX509()).parseCertificates;
    this.inventory = Inventory.open(this.inventoryPath);
    const c = this.config;
    const every = (expr: string, name: string, fn: () => Promise<void>) =>
      this.tasks.push(
        schedule(expr, () => this.serial(fn).catch((err: unknown) => this.ctx.logger.warn({ err, scan: name }, 'cert-expiry: scan failed')), {
          name: `cert-expiry:${name}`,
          noOverlap: true,
        }),
      );
    every(c.evaluate.schedule, 'evaluate', () => this.evaluate());
    every(c.files.schedule, 'files', () => this.scanFiles());
    every(c.tls.schedule, 'tls', () => this.scanTls());
    every(c.serving.schedule, 'serving', () => this.scanServing());
    if (c.trustedRoot.source !== 'none') every(c.trustedRoot.schedule, 'trusted-root', () => this.scanTrustedRoot());
    every(c.tuf.schedule, 'tuf', () => this.scanTuf());
    const topics = [...(c.ct.enabled ? [topicFor('ct')] : []), ...(c.keys.enabled ? [topicFor('keys')] : [])];
    if (topics.length > 0) {
      this.sub = await this.ctx.bus.subscribe({
        group: c.group,
        topics,
        fromBeginning: true,
        handler: (rec) => this.serial(() => (rec.event.type === KeyRotationScheduleEvent.type ? this.onKeys(rec.event) : this.onCt(rec.event))),
      });
    }
    // A first look at once, without waiting for the schedules (a failed scan is logged, not fatal).
    void this.serial(async () => {
      for (const scan of [() => this.scanFiles(), () => this.scanServing(), () => this.scanTls(), () => this.scanTrustedRoot(), () => this.scanTuf()]) {
        await scan().catch((err: unknown) => this.ctx.logger.warn({ err }, 'cert-expiry: initial scan failed'));
      }
    });
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.destroy();
    this.tasks = [];
    const sub = this.sub;
    this.sub = undefined;
    await sub?.stop();
    await this.chain.catch(() => undefined);
    this.inventory?.close();
    this.inventory = undefined;
  }

  async flush(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  health(): { ready: boolean; detail?: string } {
    return { ready: this.inventory !== undefined };
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Every item against every threshold; publishes what newly crossed, then records it. */
  async evaluate(): Promise<void> {
    const inv = this.inv();
    const now = this.ctx.now();
    const fired = new Set(inv.fired().map((f) => `${f.id}|${f.within}`));
    const byId = new Map<string, Item>();
    for (const i of inv.all()) if (!byId.has(i.id)) byId.set(i.id, i);
    const rows: Fired[] = [];
    const out: CloudEvent[] = [];
    for (const item of byId.values()) {
      const left = Date.parse(item.notAfter) - now.getTime();
      for (const t of this.config.thresholds) {
        if (left > t.within || fired.has(`${item.id}|${t.within}`)) continue;
        out.push(expiringFinding(this.config, item, t.within, t.severity, now));
        rows.push({ id: item.id, within: t.within, severity: t.severity, dedupKey: expiringKey(item, t.within), item });
      }
    }
    if (out.length === 0) return;
    await this.ctx.bus.publish(out);
    inv.markFired(rows); // after the durable publish: a crash before this re-publishes the same ids
    this.counted(out as Parameters<typeof this.counted>[0]);
  }

  async scanFiles(): Promise<void> {
    await this.apply('file', await scanFiles(this.config.files.paths, this.parse!, this.ctx.logger));
  }
  /** The serving certificate as the listener loads it (a renewal replaces the slot and resolves its findings). */
  async scanServing(): Promise<void> {
    const path = this.config.serving.enabled ? this.deps.servingCertificate : undefined;
    await this.apply('serving', await scanFiles(path ? [path] : [], this.parse!, this.ctx.logger, 'serving'));
  }
  async scanTls(): Promise<void> {
    const eps = this.config.tls.endpoints;
    await this.apply(
      'tls',
      await scanTls(eps, this.deps.readTls ?? nodeTlsChain, this.config.tls.timeout, this.parse!, this.ctx.logger),
      new Set(eps.map(endpointSlot)),
    );
  }
  async scanTrustedRoot(): Promise<void> {
    const t = this.config.trustedRoot;
    if (t.source === 'none') return this.apply('trusted-root', new Map());
    const { root } = await loadTrustedRoot(t.source === 'file' ? { kind: 'file', path: t.path! } : { kind: 'production' });
    await this.apply('trusted-root', scanTrustedRoot(root, this.parse!, this.ctx.now(), this.ctx.logger));
  }
  async scanTuf(): Promise<void> {
    await this.apply('tuf', await scanTuf(this.config.tuf.paths, this.ctx.logger));
  }

  /**
   * A CT sighting: one slot per set of DNS names, holding the certificate with the latest
   * notAfter. A newer certificate whose names cover an older one's renews it (its slot empties).
   * Certificates already expired when sighted (a backfill of old entries) are history, not inventory.
   */
  private async onCt(ev: CloudEvent): Promise<void> {
    if (ev.type !== CtWatchedCertificateEvent.type) return;
    const w = ev.data as CtWatchedCertificate;
    if (Date.parse(w.notAfter) <= this.ctx.now().getTime()) return;
    const inv = this.inv();
    const names = [...new Set(w.dnsNames)].sort();
    const slot = names.length > 0 ? names.join(',') : `identity:${w.ctIdentity}`;
    const item: Item = {
      source: 'ct',
      slot,
      id: w.ctIdentity,
      kind: 'certificate',
      label: `${w.subject || '(empty subject)'} [${names.slice(0, 5).join(', ')}]`,
      notBefore: w.notBefore,
      notAfter: w.notAfter,
      detail: { issuer: w.issuer, serialNumber: w.serialNumber, certSha256: w.certSha256, log: w.log, index: w.index, allowedBy: w.allowedBy ?? null },
    };
    const scan: SlotScan = new Map();
    for (const s of inv.slots('ct')) {
      const held = inv.slot('ct', s);
      const renewed = held.filter((h) => Date.parse(h.notAfter) < Date.parse(w.notAfter) && s.split(',').every((n) => names.includes(n)));
      if (s === slot) scan.set(s, held.some((h) => Date.parse(h.notAfter) >= Date.parse(w.notAfter)) ? undefined : [item]);
      else if (renewed.length > 0)
        scan.set(
          s,
          held.filter((h) => !renewed.includes(h)),
        );
    }
    if (!scan.has(slot)) scan.set(slot, [item]);
    await this.apply('ct', scan, undefined, false);
  }

  /**
   * The key inventory's rotation schedule: a whole snapshot, one slot per place keys were read
   * (`keys[<i>]`, `token:<label>`); a place with a problem keeps what it held. A later rotation
   * date resolves the thresholds the key no longer crosses; a key that was rotated out, revoked,
   * archived or removed leaves, resolving what fired for it.
   */
  private async onKeys(ev: CloudEvent): Promise<void> {
    if (!this.config.keys.enabled) return;
    await this.apply('keys', keyScan(ev.data as KeyRotationSchedule));
  }

  /**
   * Applies a scan: slots it answered are replaced; for full scans (every source but CT), slots of
   * this source it did not mention are gone (their file, endpoint or root entry left the config).
   */
  private async apply(source: Source, scan: SlotScan, configured?: Set<string>, full = true): Promise<void> {
    const inv = this.inv();
    if (full) for (const s of inv.slots(source)) if (!scan.has(s) && (configured === undefined || !configured.has(s))) scan.set(s, []);
    // Ids the scan still places somewhere: an item that moved to another slot of this scan (a key
    // whose config index shifted, a certificate moved to another file) is not gone, whichever slot
    // is replaced first.
    const placed = new Set([...scan.values()].flatMap((items) => (items ?? []).map((i) => i.id)));
    for (const [slot, items] of scan) {
      if (items === undefined) continue; // could not look: keep
      const now = new Set(items.map((i) => i.id));
      const left = inv
        .slot(source, slot)
        .filter((i) => !now.has(i.id) && !placed.has(i.id))
        .map((i) => i.id);
      const gone = inv.orphansAfter(source, slot, left);
      const nowMs = this.ctx.now().getTime();
      const why = source === 'keys' ? 'rotated, retired or removed' : 'renewed or removed';
      // An item that stays with a later date than when a threshold fired for it (a key's rotation
      // date extended), and is now outside that threshold, resolves it. Compared with the fired
      // item's date, not the clock alone: a clock set back is not a renewal.
      const moved = items.flatMap((i) =>
        inv
          .fired(i.id)
          .filter((f) => Date.parse(i.notAfter) > Date.parse(f.item.notAfter) && Date.parse(i.notAfter) - nowMs > f.within)
          .map((f) => ({ f, item: i })),
      );
      const resolved = [
        ...gone.flatMap((id) => inv.fired(id)).map((f) => resolvedFinding(this.config, f, why, this.ctx.now())),
        ...moved.map(({ f, item }) => resolvedFinding(this.config, { ...f, item }, 'date moved later', this.ctx.now())),
      ];
      if (resolved.length > 0) {
        await this.ctx.bus.publish(resolved);
        this.counted(resolved);
      }
      // after the durable publish (see the class comment)
      inv.replaceSlot(source, slot, items, [...gone.flatMap((id) => inv.fired(id)), ...moved.map(({ f }) => f)]);
    }
    await this.evaluate();
  }

  private inv(): Inventory {
    if (!this.inventory) throw new Error('cert-expiry is not started');
    return this.inventory;
  }
}

export function createCertExpiryDetector(config: CertExpiryConfigInput, ctx: ComponentContext, deps: CertExpiryDeps = {}): CertExpiryDetector {
  return new CertExpiryDetector(parseConfig(certExpiryConfigSchema, config ?? {}, 'detectors.certExpiry'), ctx, deps);
}
