import {
  type ArtifactVerified,
  ArtifactVerifiedEvent,
  type CloudEvent,
  type Component,
  type ComponentContext,
  type Finding,
  imageSubject,
  type KeyRevoked,
  KeyRevokedEvent,
  parseConfig,
  type RekorEntry,
  RekorEntryEvent,
  revocationSubject,
  type Subscription,
  topicFor,
} from '../../core/index.js';
import { findingsCounter } from '../shared/index.js';
import { type KeyMisuseConfig, type KeyMisuseConfigInput, keyMisuseConfigSchema } from './config.js';
import { firedRecord, keyFinding, policyFinding, resolvedFinding } from './findings.js';
import { allowedSigners, policyConclusions } from './policy.js';
import { Releases } from './release.js';
import { certValidity, type Conclusion, crossRepository, outsideCi, resignNewIdentity, revokedUse, unexpectedIssuer } from './rules.js';
import { type DigestState, type FiredRecord, KeyMisuseState, MAX_REPORTED } from './state.js';
import { recordOf, type Use, usesFromArtifact, usesFromRekor } from './uses.js';

/**
 * Watches how signing keys and identities are used: registry verification results
 * (artifact.verified: policy verdicts and the signers found), verified Rekor entries, and
 * revocations (keys.revoked). Per event, one at a time (the state is read-modify-write):
 *   1. judge: policy failures (and what they resolve), then every use against the key rules,
 *      with what the state remembers (revocations, repositories, signers, releases);
 *   2. publish the findings;
 *   3. only then record the new state.
 * A crash between 2 and 3 redelivers the event: the same finding ids again (they derive from the
 * event id), never a finding lost. One finding per condition: a re-check of a digest (a new event)
 * does not repeat what the digest's state says already fires (policy) or was reported (key.*). A revocation is recorded FIRST (it must outlive any crash), then
 * the kept history of that key or identity is re-judged: a signature seen before the revocation
 * arrived but signed after its revokedAt fires then.
 */
export class KeyMisuseDetector implements Component {
  readonly name = 'detector.key-misuse';
  private sub: Subscription | undefined;
  private revoked = new Map<string, KeyRevoked>();
  private readonly state: KeyMisuseState;
  private readonly releases: Releases;
  private readonly counted: ReturnType<typeof findingsCounter>;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly config: KeyMisuseConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.state = new KeyMisuseState(ctx.state);
    this.releases = new Releases(config);
    this.counted = findingsCounter(ctx.metrics);
  }

  async start(): Promise<void> {
    if (this.sub) return;
    this.revoked = new Map((await this.state.revocations()).map((r) => [revocationSubject(r), r]));
    this.sub = await this.ctx.bus.subscribe({
      group: this.config.group,
      topics: [topicFor('keys'), topicFor('registry'), topicFor('rekor')],
      fromBeginning: true,
      handler: (rec) => this.serial(() => this.handle(rec.event)),
    });
    this.ctx.logger.info({ revocations: this.revoked.size }, 'key-misuse started');
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    await sub?.stop();
    await this.chain.catch(() => undefined);
  }

  async flush(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  health(): { ready: boolean; detail?: string } {
    return { ready: this.sub !== undefined, detail: `${this.revoked.size} revocation(s)` };
  }

  /** Known revocations (for tests and `keys revocations`). */
  revocations(): KeyRevoked[] {
    return [...this.revoked.values()];
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async handle(ev: CloudEvent): Promise<void> {
    switch (ev.type) {
      case KeyRevokedEvent.type:
        return this.onRevoked(ev, ev.data as KeyRevoked);
      case ArtifactVerifiedEvent.type:
        return this.onArtifact(ev, ev.data as ArtifactVerified);
      case RekorEntryEvent.type:
        return this.onUses(ev, usesFromRekor(ev, ev.data as RekorEntry), []);
      default:
        return; // other events of these families (manifests) say nothing about key use
    }
  }

  private async onRevoked(ev: CloudEvent, r: KeyRevoked): Promise<void> {
    const subject = revocationSubject(r);
    await this.state.putRevocation(subject, r);
    this.revoked.set(subject, r);
    const out: CloudEvent<Finding>[] = [];
    const digests = new Map<string, DigestState>();
    for (const u of await this.state.uses(subject)) {
      const c = revokedUse(u, subject, r);
      if (!c) continue;
      const f = keyFinding(this.config, c, u.subject, u.eventId, this.ctx.now());
      const d = u.digest === undefined ? undefined : (digests.get(u.digest) ?? (await this.state.digest(u.digest)));
      if (d && !report(d, f)) continue;
      if (d) digests.set(u.digest!, d);
      out.push(f);
    }
    await this.publish(out);
    // Published: only now is it remembered as reported (a crash before this repeats the same ids).
    for (const [digest, d] of digests) await this.state.putDigest(digest, d);
    this.ctx.logger.info({ subject, revokedAt: r.revokedAt, laterUses: out.length, by: ev.source }, 'key-misuse: revocation recorded');
  }

  private async onArtifact(ev: CloudEvent, a: ArtifactVerified): Promise<void> {
    const subject = imageSubject(a.image);
    const before = await this.state.digest(a.image.digest);
    const now = this.ctx.now();
    const firing = policyConclusions(this.config, a, subject).map((c) => policyFinding(this.config, c, subject, ev.id, now));
    const keys = new Set(firing.map((f) => f.data!.dedupKey));
    // What already fires for this digest, unchanged, is not published again by a re-check.
    const fresh = firing.filter((f) => !sameFiring(before.fired[f.data!.dedupKey], firedRecord(f)));
    // With discovery errors the verdict may be incomplete: nothing policy-related is resolved then.
    const resolvable = Object.entries(before.fired).filter(([k, f]) => !keys.has(k) && (a.discoveryErrors.length === 0 || f.category === 'infrastructure'));
    const resolved = resolvable.map(([k, f]) => resolvedFinding(this.config, k, f, ev.id, now));
    const fired: DigestState['fired'] = Object.fromEntries(Object.entries(before.fired).filter(([k]) => !resolvable.some(([r]) => r === k)));
    for (const f of firing) fired[f.data!.dedupKey] = firedRecord(f);
    await this.onUses(ev, usesFromArtifact(ev, a), [...fresh, ...resolved], { digest: a.image.digest, fired }, allowedSigners(a));
  }

  /**
   * Judges every use, publishes `extra` and the key findings, then records the state. `allowed`:
   * signers (keyId/fingerprint) the digest's own policies accept -> which policy, from artifact.verified.
   */
  private async onUses(
    ev: CloudEvent,
    uses: Use[],
    extra: CloudEvent<Finding>[],
    digestFired?: { digest: string; fired: DigestState['fired'] },
    allowed: ReadonlyMap<string, string> = new Map(),
  ): Promise<void> {
    const now = this.ctx.now();
    const out = [...extra];
    const releases = await this.knownReleases(uses);
    // A release signature in this very event counts for the other signers in it.
    for (const u of uses) if (this.releases.isRelease(u.claims)) for (const r of this.releases.repositoriesOf(u)) releases.set(r, u.signedAt);
    const digests = new Map<string, DigestState>();
    const repos = new Map<string, string[]>();
    for (const u of uses) {
      const d = u.digest === undefined ? undefined : (digests.get(u.digest) ?? (await this.state.digest(u.digest)));
      const conclusions: Conclusion[] = [];
      for (const k of u.keys) {
        const r = this.revoked.get(k);
        const c = r && revokedUse(recordOf(u), k, r);
        if (c) conclusions.push(c);
      }
      const expectation = this.releases.judge(u, releases);
      const cv = certValidity(this.config, u);
      const ui = unexpectedIssuer(this.config, u);
      conclusions.push(...(cv ? [cv] : []), ...(ui ? [ui] : []), ...outsideCi(this.config, u));
      if (u.repository !== undefined) {
        const prior = repos.get(u.label) ?? (await this.state.repos(u.label));
        const c = crossRepository(this.config, u, prior, (a, b) => this.releases.related(a, b), expectation);
        if (c) conclusions.push(c);
        repos.set(u.label, prior.includes(u.repository) ? prior : [...prior, u.repository]);
      }
      if (d) {
        // A co-signer the digest's policy allows (the second of a 2-of-3) is expected, release or not.
        const allowedBy = allowed.get(u.signer.keyId ?? u.signer.fingerprintSha256 ?? '');
        const c = resignNewIdentity(this.config, u, d.signers, allowedBy ? { expected: true, why: `${allowedBy} allows this signer` } : expectation);
        if (c) conclusions.push(c);
        if (!d.signers.includes(u.label)) d.signers = [...d.signers, u.label];
        digests.set(u.digest!, d);
      }
      const found = conclusions.map((c) => keyFinding(this.config, c, u.subject, u.eventId, now));
      out.push(...(d ? found.filter((f) => report(d, f)) : found));
    }
    await this.publish(out);
    // The findings are durable on the bus: only now does the state move on (see the class comment).
    if (digestFired) {
      const d = digests.get(digestFired.digest) ?? (await this.state.digest(digestFired.digest));
      digests.set(digestFired.digest, { ...d, fired: digestFired.fired });
    }
    for (const [digest, d] of digests) await this.state.putDigest(digest, d);
    for (const [label, r] of repos) await this.state.putRepos(label, r);
    for (const u of uses) {
      if (this.releases.isRelease(u.claims)) for (const r of this.releases.repositoriesOf(u)) await this.state.putRelease(r, u.signedAt);
      for (const k of u.keys) await this.state.addUse(k, recordOf(u), this.config.historyWindow, this.config.historyMax);
    }
  }

  /** Latest release per repository the state knows, for the repositories these uses could relate to. */
  private async knownReleases(uses: Use[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const repos = this.config.relatedRepositories.length > 0 ? await this.state.releasedRepositories() : uses.flatMap((u) => this.releases.repositoriesOf(u));
    for (const r of new Set(repos)) {
      const at = await this.state.release(r);
      if (at !== undefined) out.set(r, at);
    }
    return out;
  }

  private async publish(out: CloudEvent<Finding>[]): Promise<void> {
    if (out.length === 0) return;
    await this.ctx.bus.publish(out);
    this.counted(out);
  }
}

const sameFiring = (a: FiredRecord | undefined, b: FiredRecord): boolean =>
  a !== undefined && a.rule === b.rule && a.severity === b.severity && a.category === b.category && a.summary === b.summary;

/** Records a key.* finding as reported for its digest; false when it already was (a re-check: not published again). */
function report(d: DigestState, f: CloudEvent<Finding>): boolean {
  const key = f.data!.dedupKey;
  if (d.reported?.includes(key)) return false;
  d.reported = [...(d.reported ?? []), key].slice(-MAX_REPORTED);
  return true;
}

/** Factory for tests and embedding; `config` is the raw section (validated here, defaults applied). */
export function createKeyMisuseDetector(config: KeyMisuseConfigInput, ctx: ComponentContext): KeyMisuseDetector {
  return new KeyMisuseDetector(parseConfig(keyMisuseConfigSchema, config ?? {}, 'detectors.keyMisuse'), ctx);
}
