import {
  type CloudEvent,
  type Component,
  type ComponentContext,
  type RekorEntry,
  RekorEntryEvent,
  type Subscription,
  topicFor,
  parseConfig,
} from '../../core/index.js';
import { type CompiledPolicy, compileIdentityPolicy, loadIdentityPolicyFile, type ReadText, validateIdentityPolicy } from '../../rules/identity/index.js';
import { findingsCounter } from '../shared/index.js';
import { type IdentityWatchConfig, type IdentityWatchConfigInput, identityWatchConfigSchema } from './config.js';
import { verdictFinding } from './findings.js';

/**
 * Watches verified Rekor entries for signatures by identities an operator cares about (their
 * repositories, release workflows, maintainers' e-mails, keys) and pages when one was made by a
 * signer the policy does not expect. Per entry:
 *   1. evaluate every signer against the compiled policy (rules/identity);
 *   2. unexpected -> a security finding at the watch's severity;
 *   3. expected   -> nothing, or an `info` finding when the watch says onExpected: record.
 * Stateless: the finding ids derive from the entry event, so redelivery repeats the same ids.
 */
export interface IdentityWatchDeps {
  /** How the policy file is read (tests, secrets mounts); default fs.readFile. */
  readFile?: ReadText;
}

export class IdentityWatchDetector implements Component {
  readonly name = 'detector.identity-watch';
  private policy: CompiledPolicy | undefined;
  private sub: Subscription | undefined;
  private readonly counted: ReturnType<typeof findingsCounter>;

  constructor(
    readonly config: IdentityWatchConfig,
    private readonly ctx: ComponentContext,
    private readonly deps: IdentityWatchDeps = {},
  ) {
    this.counted = findingsCounter(ctx.metrics);
  }

  async start(): Promise<void> {
    if (this.sub) return;
    // A bad policy fails start() with a coded PolicyError naming the bad key; the supervisor
    // reports it and retries with backoff, so a fixed file is picked up without a restart.
    this.policy = compileIdentityPolicy(await this.loadPolicy());
    this.sub = await this.ctx.bus.subscribe({
      group: this.config.group,
      topics: [topicFor('rekor')],
      fromBeginning: true,
      handler: (rec) => this.handle(rec.event),
    });
    this.ctx.logger.info({ watches: this.policy.watches.map((w) => w.name) }, 'identity-watch started');
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    await sub?.stop();
  }

  async flush(): Promise<void> {}

  health(): { ready: boolean; detail?: string } {
    return this.policy ? { ready: this.sub !== undefined, detail: `${this.policy.watches.length} watch(es)` } : { ready: false, detail: 'policy not loaded' };
  }

  private async loadPolicy() {
    if (this.config.policyFile !== undefined) return loadIdentityPolicyFile(this.config.policyFile, this.deps.readFile);
    return validateIdentityPolicy(this.config.policy, '<config:detectors.identityWatch.policy>');
  }

  private async handle(ev: CloudEvent): Promise<void> {
    if (ev.type !== RekorEntryEvent.type || !this.policy) return;
    const entry = ev.data as RekorEntry;
    const out = this.policy
      .evaluate(entry.signers)
      .filter((v) => v.kind === 'unexpected' || v.watch.onExpected === 'record')
      .map((v) => verdictFinding(this.config, ev, entry, v));
    if (out.length === 0) return;
    await this.ctx.bus.publish(out);
    this.counted(out);
  }
}

/** Factory the daemon calls; `config` is the raw section (validated here, defaults applied). */
export function createIdentityWatchDetector(config: IdentityWatchConfigInput, ctx: ComponentContext, deps: IdentityWatchDeps = {}): IdentityWatchDetector {
  return new IdentityWatchDetector(parseConfig(identityWatchConfigSchema, config ?? {}, 'detectors.identityWatch'), ctx, deps);
}
