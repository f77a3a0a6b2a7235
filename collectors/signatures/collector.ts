import { createHash } from 'node:crypto';
import {
  type ArtifactVerified,
  ArtifactVerifiedEvent,
  type CloudEvent,
  type Component,
  type ComponentContext,
  type ImageRef,
  imageSubject,
  describeError,
  KeyedTurns,
  makeEvent,
  type RegistryManifest,
  RegistryManifestEvent,
  sleep,
  type Subscription,
  topicFor,
} from '../../core/index.js';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { PolicyHolder } from '../../rules/policy/index.js';
import { loadTrustedRoot, type OciTrustOptions, verifyDiscovered, withLogKeys } from '../../trust/index.js';
import { DIGEST_PATTERN, OciClient, type OciClientOptions } from '../shared/oci/index.js';
import { isFresh, ResultCache } from './cache.js';
import type { SignaturesConfig } from './config.js';
import { discover } from './discover.js';
import { type EvaluatePolicies, noPolicies, type VerifyArtifacts } from './ports.js';

const SOURCE = 'chainwatch://collectors/signatures';
/** A push of one of these tags is a signature, attestation or referrers-fallback index OF the digest it names. */
const SIGNATURE_TAG = /^sha256-([0-9a-f]{64})(?:\.sig|\.att)?$/;
const MAX_FOUND = 64;

export interface SignaturesDeps {
  verify?: VerifyArtifacts;
  evaluatePolicies?: EvaluatePolicies;
  /** Test seam (request counting); undefined = global fetch. */
  fetch?: typeof fetch;
}

/**
 * Consumes chainwatch.registry (group `collector.signatures`) and, per manifest event:
 *   push    -> wait out the settle delay (measured from receivedAt) -> discover -> verify -> policies
 *              -> publish artifact.verified -> cache. A push of a digest's `.sig`/`.att`/fallback tag
 *              re-checks the digest it names (the new signature shows up in a new event).
 *   verify  -> a fresh cached result is published again for this trigger; else as push, without delay.
 *   delete  -> the cached result is dropped; nothing is published (the digest is gone: there is
 *              nothing to verify, and a later verify request finds no cache and asks the registry).
 * Invariant: the handler resolves only after the event is published (durable), and the bus commits
 * the offset only then; a stop or crash during the settle delay or discovery leaves the record
 * uncommitted and it is handled again after the restart (waiting only what is left of the delay).
 * Registry trouble is retried by the OCI client (backoff) and then reported in discoveryErrors of a
 * published event, never dropped: the verdict says what is known, the errors say what is not.
 */
export class SignaturesCollector implements Component {
  readonly name = 'collector.signatures';
  private sub: Subscription | undefined;
  private readonly clients = new Map<string, OciClient>();
  private readonly cache: ResultCache;
  private verify: VerifyArtifacts | undefined;
  private evaluatePolicies: EvaluatePolicies;
  private policies: PolicyHolder | undefined;
  private readonly slots: Slots;
  /** Checks of one digest take turns (see check). */
  private readonly checking = new KeyedTurns();
  private readonly outcomes;

  constructor(
    readonly config: SignaturesConfig,
    private readonly ctx: ComponentContext,
    private readonly deps: SignaturesDeps = {},
  ) {
    this.cache = new ResultCache(ctx.state, config.stateKeyPrefix);
    this.verify = deps.verify;
    this.evaluatePolicies = deps.evaluatePolicies ?? noPolicies;
    this.slots = new Slots(config.concurrency);
    this.outcomes = ctx.metrics.counter('signatures_checks_total', 'Digests handled by collectors.signatures, by outcome', ['outcome']);
  }

  async start(): Promise<void> {
    if (this.sub) return;
    if (this.verify === undefined) {
      const opts = await this.trustOptions();
      this.verify = (artifacts, image) => verifyDiscovered(artifacts, image, opts);
    }
    if (this.config.policies !== undefined && this.deps.evaluatePolicies === undefined) {
      // Last-good reloads: a broken edit is logged and the set in force stays (rules/policy).
      const holder = new PolicyHolder(this.config.policies, {
        onReload: (o) =>
          o.ok
            ? this.ctx.logger.info({ policies: o.set.policies.length }, 'image policies loaded')
            : this.ctx.logger.error({ code: o.error.code, issues: o.error.issues }, 'image policies not reloaded; the previous set stays in force'),
      });
      await holder.start();
      this.policies = holder;
      this.evaluatePolicies = (facts) => holder.current().evaluate(facts.image, facts);
    }
    this.sub = await this.ctx.bus.subscribe({
      group: this.config.group,
      topics: [topicFor('registry')],
      fromBeginning: true,
      handler: (rec, signal) => this.handle(rec.event, signal),
    });
    this.ctx.logger.info({ registries: Object.keys(this.config.registries), settleDelayMs: this.config.settleDelay }, 'signatures collector started');
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    await sub?.stop();
    this.policies?.stop();
    this.policies = undefined;
  }

  async flush(): Promise<void> {}

  health(): { ready: boolean; detail?: string } {
    return { ready: this.sub !== undefined };
  }

  /** One manifest event (exported for tests through the bus only; see the class comment). */
  private async handle(ev: CloudEvent, signal: AbortSignal): Promise<void> {
    if (ev.type !== RegistryManifestEvent.type) return; // our own artifact.verified events share the topic
    const m = ev.data as RegistryManifest;
    const trigger = { source: m.source, deliveryId: m.deliveryId, action: m.action };
    switch (m.action) {
      case 'delete':
        await this.cache.drop(m.image);
        this.outcomes.inc({ outcome: 'deleted' });
        return;
      case 'push': {
        const sig = m.image.tag !== undefined ? SIGNATURE_TAG.exec(m.image.tag) : null;
        const image: ImageRef = sig ? { registry: m.image.registry, repository: m.image.repository, digest: `sha256:${sig[1]}` } : m.image;
        await this.settle(m, signal);
        return this.check(sig || m.image.tag !== undefined ? image : await this.subjectOf(image), trigger, signal);
      }
      case 'verify': {
        const cached = await this.cache.get(m.image);
        if (isFresh(cached, this.ctx.now())) {
          this.outcomes.inc({ outcome: 'cached' });
          await this.publish({ ...cached, trigger }, m.deliveryId);
          return;
        }
        return this.check(m.image, trigger, signal);
      }
    }
  }

  /** Waits until receivedAt + settleDelay (what is left of it after a restart; nothing for an old event). */
  private async settle(m: RegistryManifest, signal: AbortSignal): Promise<void> {
    const left = Date.parse(m.receivedAt) + this.config.settleDelay - this.ctx.now().getTime();
    if (left > 0) await sleep(left, signal);
  }

  /**
   * An untagged push may be a referrer (a cosign v3 bundle, an SBOM attached with oras): a manifest
   * with a `subject` is ABOUT that digest, so the subject is re-checked (its new signature shows up),
   * never the referrer as if it were an image. Registries without the referrers API get the
   * `sha256-<hex>` index tag too, but registries with it notify only this push. A manifest that
   * cannot be read is checked as itself: discovery reports the registry's trouble.
   */
  private async subjectOf(image: ImageRef): Promise<ImageRef> {
    try {
      const { manifest } = await this.client(image.registry).getManifest(image.repository, image.digest);
      const subject = manifest.subject?.digest;
      return subject !== undefined && DIGEST_PATTERN.test(subject) ? { registry: image.registry, repository: image.repository, digest: subject } : image;
    } catch (err) {
      this.ctx.logger.warn({ image: imageSubject(image), err: describeError(err) }, 'signatures: pushed manifest not readable; checked as an image');
      return image;
    }
  }

  /**
   * Checks of one digest run in the order their events were handled. The image's push and the
   * pushes of its signature tags are different bus keys, so the bus may hand them over at once; a
   * check that discovered before a later signature was pushed must not publish its older verdict
   * after the later check's.
   */
  private check(image: ImageRef, trigger: ArtifactVerified['trigger'], signal: AbortSignal): Promise<void> {
    return this.checking.run(imageSubject(image), () => this.checkNow(image, trigger, signal));
  }

  private async checkNow(image: ImageRef, trigger: ArtifactVerified['trigger'], signal: AbortSignal): Promise<void> {
    const previous = await this.cache.get(image);
    const result = await this.slots.run(signal, () => this.investigate(image, trigger, previous?.tags ?? []));
    await this.publish(result, trigger.deliveryId);
    // After the publish: a cache entry never stands for a result that was not published.
    await this.cache.put(result);
    this.outcomes.inc({ outcome: result.discoveryErrors.length > 0 ? 'incomplete' : 'checked' });
  }

  private async investigate(image: ImageRef, trigger: ArtifactVerified['trigger'], knownTags: string[]): Promise<ArtifactVerified> {
    const client = this.client(image.registry);
    const found = await discover(client, image.repository, image.digest, this.config);
    const reference = `${image.registry}/${image.repository}${image.tag ? `:${image.tag}` : ''}@${image.digest}`;
    const { signatures, attestations } = await this.verify!(found.artifacts, { digest: image.digest, reference });
    const errors = [...found.errors];
    if (signatures.length > MAX_FOUND || attestations.length > MAX_FOUND) {
      errors.push({
        code: 'TOO_MANY_SIGNATURES',
        message: `${signatures.length} signatures, ${attestations.length} attestations; the first ${MAX_FOUND} of each are reported`,
      });
    }
    const tags = [...new Set([...knownTags, ...(image.tag ? [image.tag] : [])])].slice(-256);
    const facts = { image, tags, signatures: signatures.slice(0, MAX_FOUND), attestations: attestations.slice(0, MAX_FOUND) };
    const { policies, verdict } = await this.evaluatePolicies(facts);
    const now = this.ctx.now();
    return {
      ...facts,
      trigger,
      policies,
      verdict,
      discoveryErrors: errors.slice(0, 32),
      checkedAt: now.toISOString(),
      validUntil: new Date(now.getTime() + this.config.cacheTtl).toISOString(),
    };
  }

  /** Keys (PEM files, named by file name) and, for keyless, the trusted root: read once at start; a bad file fails the start. */
  private async trustOptions(): Promise<OciTrustOptions> {
    const t = this.config.trust;
    const keys = await Promise.all(t.keys.map(async (path) => ({ name: basename(path), publicKeyPem: await readFile(path, 'utf8') })));
    const opts: OciTrustOptions = { keys, requireTlog: t.requireTlog };
    // A root is needed for keyless, and for key-based signatures only to check their log evidence.
    if (t.keyless || t.trustedRoot !== undefined) {
      const source = t.trustedRoot !== undefined ? ({ kind: 'file', path: t.trustedRoot } as const) : ({ kind: 'production', tuf: false } as const);
      opts.trustedRoot = (await loadTrustedRoot(source)).root;
    }
    if (t.rekorLogs.length > 0) {
      const logs = await Promise.all(t.rekorLogs.map(async ({ url, publicKey }) => ({ url, publicKeyPem: await readFile(publicKey, 'utf8') })));
      opts.trustedRoot = withLogKeys(opts.trustedRoot, logs);
    }
    return opts;
  }

  /** The event id derives from the trigger and the digest: a redelivered trigger publishes the same id. */
  private publish(data: ArtifactVerified, deliveryId: string): Promise<void> {
    const subject = imageSubject(data.image);
    const id = createHash('sha256').update(`${deliveryId}\n${subject}`).digest('hex').slice(0, 32);
    return this.ctx.bus.publish(makeEvent({ type: ArtifactVerifiedEvent.type, source: SOURCE, subject, id, time: this.ctx.now(), data }));
  }

  private client(registry: string): OciClient {
    let c = this.clients.get(registry);
    if (!c) {
      const r = this.config.registries[registry];
      const opts: OciClientOptions = { registry, insecure: r?.insecure ?? false, timeoutMs: r?.requestTimeout ?? 30_000, fetch: this.deps.fetch };
      if (r?.username !== undefined && r.password !== undefined) opts.credentials = { username: r.username, password: r.password };
      c = new OciClient(opts);
      this.clients.set(registry, c);
    }
    return c;
  }
}

/** Bounds the digests discovered at once across the bus's concurrent partitions. */
class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    while (this.active >= this.limit) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
