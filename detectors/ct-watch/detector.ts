import {
  type CloudEvent,
  type Component,
  type ComponentContext,
  type CtEntry,
  CtEntryEvent,
  parseConfig,
  type Subscription,
  topicFor,
  KeyedTurns,
} from '../../core/index.js';
import { type Certificate, loadX509, X509Error } from '../../trust/index.js';
import { findingsCounter } from '../shared/index.js';
import { type CtWatchConfig, type CtWatchConfigInput, ctWatchConfigSchema } from './config.js';
import { malformedFinding, RULE_MALFORMED, unexpectedFinding, watchedEvent } from './findings.js';
import { Watchlist } from './watchlist.js';

/**
 * Watches the audited CT entries (dev.chainwatch.ct.entry.v1) for certificates of watched names,
 * organisations and issuing CAs. Per entry:
 *   1. prefilter the DER for watched bytes (most entries stop here, unparsed);
 *   2. parse (trust's X.509 parser); a certificate that does not parse but carries watched bytes
 *      is a malformed-certificate finding with its raw DER;
 *   3. match the parsed fields; nothing matched -> done;
 *   4. once per certificate (CT identity): publish the sighting for the inventory and, unless an
 *      allowlist entry expects it, one unexpected-certificate finding.
 * Step 4 is remembered in the StateStore AFTER the publish is durable: a crash in between
 * redelivers the entry and publishes the same ids again (the ids derive from the certificate),
 * never loses a finding.
 */
type X509 = Awaited<ReturnType<typeof loadX509>>;

export class CtWatchDetector implements Component {
  readonly name = 'detector.ct-watch';
  private sub: Subscription | undefined;
  private x509: X509 | undefined;
  private readonly watchlist: Watchlist;
  private readonly counted: ReturnType<typeof findingsCounter>;
  private readonly skipped: (n: number) => void;
  private readonly issuerKeys = new Map<string, string | null>();
  /** The sighting of a certificate being handled now, per state key (once()). */
  private readonly turns = new KeyedTurns();

  constructor(
    readonly config: CtWatchConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.watchlist = new Watchlist(config);
    this.counted = findingsCounter(ctx.metrics);
    const c = ctx.metrics.counter('ct_watch_entries_total', 'CT entries seen by ct-watch, by outcome', ['outcome']);
    this.skipped = (n) => c.inc({ outcome: 'prefiltered' }, n);
  }

  async start(): Promise<void> {
    if (this.sub) return;
    this.x509 = await loadX509();
    this.sub = await this.ctx.bus.subscribe({
      group: this.config.group,
      topics: [topicFor('ct')],
      fromBeginning: true,
      handler: (rec) => this.handle(rec.event),
    });
    this.ctx.logger.info({ watches: this.config.watch, allow: this.config.allow.length }, 'ct-watch started');
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    await sub?.stop();
  }

  async flush(): Promise<void> {}

  health(): { ready: boolean; detail?: string } {
    return { ready: this.sub !== undefined };
  }

  private async handle(ev: CloudEvent): Promise<void> {
    if (ev.type !== CtEntryEvent.type || !this.x509) return;
    const entry = ev.data as CtEntry;
    const der = Buffer.from(entry.certDer, 'base64');
    const hits = this.watchlist.prefilter(der);
    const issuerKey = this.watchlist.watchesIssuerKeys ? this.issuerKey(entry) : undefined;
    if (hits.length === 0 && !this.watchlist.isWatchedIssuerKey(issuerKey)) return this.skipped(1);
    let cert: Certificate;
    try {
      cert = this.x509.parseCertificate(der);
    } catch (err) {
      if (!(err instanceof X509Error)) throw err;
      if (hits.length === 0 || this.watchlist.allowedByHash(entry.certSha256) !== undefined) return;
      return this.once(RULE_MALFORMED, entry.certSha256, () => [malformedFinding(this.config, ev, entry, der, hits, { code: err.code, message: err.message })]);
    }
    const matched = this.watchlist.match(cert, issuerKey);
    if (matched.length === 0) return;
    const allowedBy = this.watchlist.allowedBy(cert);
    return this.once('certificate', cert.ctTbsSha256, () => [
      watchedEvent(this.config, ev, entry, cert, matched, allowedBy),
      ...(allowedBy === undefined ? [unexpectedFinding(this.config, ev, entry, cert, matched)] : []),
    ]);
  }

  /**
   * Publishes what `build` gives once per (rule, certificate); a repeat sighting is quiet. Sightings
   * of one certificate handled at the same time (a precertificate and its final certificate in one
   * batch, or the same certificate in two logs) take turns, so the second sees what the first
   * remembered: without that both passed the check and paged twice (test/e2e/ct-pipeline.test.ts).
   */
  private async once(rule: string, id: string, build: () => CloudEvent[]): Promise<void> {
    const key = `${this.config.stateKeyPrefix}:seen:${rule}:${id}`;
    await this.turns.run(key, () => this.onceNow(key, build));
  }

  private async onceNow(key: string, build: () => CloudEvent[]): Promise<void> {
    if ((await this.ctx.state.get(key)) !== undefined) return;
    const out = build();
    await this.ctx.bus.publish(out);
    // Only now: the events are durable (publish resolved), so remembering cannot hide a finding.
    await this.ctx.state.put(key, { at: this.ctx.now().toISOString() });
    this.counted(out.filter((e) => e.type === 'dev.chainwatch.finding.v1') as Parameters<typeof this.counted>[0]);
  }

  /**
   * SHA-256 of the issuer's SPKI: given for precert entries, else from the first chain certificate.
   * A log's entries share a few intermediates, so their keys are cached (bounded): parsing every
   * issuer would cost what the prefilter saves.
   */
  private issuerKey(entry: CtEntry): string | undefined {
    if (entry.issuerKeyHash !== undefined) return entry.issuerKeyHash;
    const first = entry.chainDer[0];
    if (first === undefined) return undefined;
    const cached = this.issuerKeys.get(first);
    if (cached !== undefined) return cached ?? undefined;
    let key: string | null;
    try {
      key = this.x509!.parseCertificate(Buffer.from(first, 'base64')).spkiSha256;
    } catch {
      key = null; // an issuer that does not parse cannot be matched by key; the name watches still apply
    }
    if (this.issuerKeys.size >= 1024) this.issuerKeys.clear();
    this.issuerKeys.set(first, key);
    return key ?? undefined;
  }
}

/** Factory the daemon and tests call; `config` is the raw section (validated here, defaults applied). */
export function createCtWatchDetector(config: CtWatchConfigInput, ctx: ComponentContext): CtWatchDetector {
  return new CtWatchDetector(parseConfig(ctWatchConfigSchema, config ?? {}, 'detectors.ctWatch'), ctx);
}
