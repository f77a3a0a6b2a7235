import {
  type ArtifactVerified,
  ArtifactVerifiedEvent,
  type BusRecord,
  type CloudEvent,
  type Component,
  type ComponentContext,
  type Finding,
  parseConfig,
  type RekorEntry,
  RekorEntryEvent,
  type Subscription,
  topicFor,
} from '../../core/index.js';
import { findingsCounter } from '../shared/index.js';
import { type ProvenanceConfig, type ProvenanceConfigInput, provenanceConfigSchema } from './config.js';
import { ModelError, ProvenanceError } from './errors.js';
import { extractFeatures } from './features.js';
import { anomalousFinding } from './findings.js';
import { contextFor, recordRelease } from './history.js';
import { type Extracted, fromArtifact, fromRekor, type ScoreInput } from './inputs.js';
import { ModelHolder } from './model-watch.js';
import { normalizeProvenance } from './normalize.js';
import { OnnxRuntime, type ScoringRuntime } from './runtime.js';
import { type ScoreItem, scoreBatch } from './scorer.js';
import { PendingHistory, StateHistoryStore } from './state.js';

/**
 * Scores verified SLSA provenance from registry.artifact.verified (and Rekor dsse/intoto entries
 * that carry their statement) against the model and the rule floor (docs/provenance.md).
 *
 * Records from concurrently delivered partitions are gathered into micro-batches (up to
 * batchSize, waiting at most batchWait for the first one's company) and one batch at a time is:
 *   1. read: documents parsed, history context per document (earlier documents of the same batch
 *      count as history for later ones, in PendingHistory only);
 *   2. scored: one inference call for the batch (plus one for explaining the anomalous ones);
 *   3. published: the findings, durably on the bus;
 *   4. only then the history moves (PendingHistory.commit) and the records' handlers resolve
 *      (the bus commits their offsets).
 * INVARIANT: the durable history never runs ahead of the published findings. A crash before 4
 * redelivers the events: the same finding ids again (they derive from event id and dedup key),
 * computed against the same history.
 */
interface Pending {
  rec: BusRecord;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class ProvenanceDetector implements Component {
  readonly name = 'detector.provenance';
  private sub: Subscription | undefined;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private modelTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly history: StateHistoryStore;
  private readonly models: ModelHolder;
  private readonly counted: ReturnType<typeof findingsCounter>;
  private readonly notScored;
  private readonly skipped;
  private readonly scored;
  private readonly inferenceFailed;

  constructor(
    readonly config: ProvenanceConfig,
    private readonly ctx: ComponentContext,
    modelPath: string,
    runtime: ScoringRuntime = new OnnxRuntime(),
  ) {
    this.history = new StateHistoryStore(ctx.state);
    this.models = new ModelHolder(modelPath, runtime, ctx.logger, ctx.metrics);
    this.counted = findingsCounter(ctx.metrics);
    this.notScored = ctx.metrics.counter('provenance_not_scored_total', 'Verified SLSA provenance that could not be scored, by error code', ['code']);
    this.skipped = ctx.metrics.counter('provenance_skipped_total', 'Attestations and Rekor entries not considered, by reason', ['reason']);
    this.inferenceFailed = ctx.metrics.counter('provenance_inference_failures_total', 'Batches the model failed to score (judged by the rule floor alone)');
    this.scored = ctx.metrics.counter('provenance_scored_total', 'Provenance documents scored, by verdict', ['verdict']);
  }

  async start(): Promise<void> {
    if (this.sub) return;
    await this.models.check();
    this.modelTimer = setInterval(() => void this.serial(() => this.models.check()).catch((e: unknown) => this.ctx.fail(e)), this.config.modelCheckInterval);
    this.modelTimer.unref();
    this.sub = await this.ctx.bus.subscribe({
      group: this.config.group,
      topics: [topicFor('registry'), topicFor('rekor')],
      fromBeginning: true,
      handler: (rec) => this.enqueue(rec),
    });
    this.ctx.logger.info({ model: this.models.get()?.model.version ?? 'none (rule floor only)' }, 'provenance detector started');
  }

  async stop(): Promise<void> {
    clearInterval(this.modelTimer);
    const sub = this.sub;
    this.sub = undefined;
    this.kick(0);
    await sub?.stop();
    await this.chain.catch(() => undefined);
    await this.models.release();
  }

  async flush(): Promise<void> {
    this.kick(0);
    await this.chain.catch(() => undefined);
  }

  health(): { ready: boolean; detail?: string } {
    const m = this.models.get();
    return { ready: this.sub !== undefined, detail: m ? `model ${m.model.version}` : 'no model: rule floor only' };
  }

  /** Forces a model file check now (tests; the timer does it every modelCheckInterval). */
  checkModel(): Promise<void> {
    return this.serial(() => this.models.check());
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private enqueue(rec: BusRecord): Promise<void> {
    if (rec.event.type !== ArtifactVerifiedEvent.type && rec.event.type !== RekorEntryEvent.type) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rec, resolve, reject });
      this.kick(this.queue.length >= this.config.batchSize ? 0 : this.config.batchWait);
    });
  }

  private kick(waitMs: number): void {
    if (this.queue.length === 0) return;
    if (this.timer && waitMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const batch = this.queue.splice(0, this.config.batchSize);
      if (this.queue.length > 0) this.kick(this.queue.length >= this.config.batchSize ? 0 : this.config.batchWait);
      void this.serial(() => this.process(batch)).then(
        () => batch.forEach((p) => p.resolve()),
        (e: unknown) => batch.forEach((p) => p.reject(e)),
      );
    }, waitMs);
  }

  private extract(ev: CloudEvent): Extracted {
    switch (ev.type) {
      case ArtifactVerifiedEvent.type:
        return fromArtifact(ev, ev.data as ArtifactVerified);
      case RekorEntryEvent.type:
        return fromRekor(ev, ev.data as RekorEntry);
      default:
        return { inputs: [], skipped: [] };
    }
  }

  /** Steps 1-4 of the class comment for one batch. */
  async process(batch: readonly Pending[]): Promise<void> {
    const pending = new PendingHistory(this.history);
    const items: { src: ScoreInput; item: ScoreItem }[] = [];
    for (const { rec } of batch) {
      const { inputs, skipped } = this.extract(rec.event);
      for (const reason of skipped) this.skipped.inc({ reason });
      for (const src of inputs) {
        try {
          if (src.input instanceof ProvenanceError) throw src.input;
          const provenance = normalizeProvenance(src.input);
          const history = await contextFor(pending, provenance);
          items.push({ src, item: { provenance, history, features: extractFeatures(provenance, history, this.config.trustedBuilders) } });
          await recordRelease(pending, provenance, history);
        } catch (e) {
          if (!(e instanceof ProvenanceError)) throw e;
          // "Not scored": a metric and a warning line, no finding (docs/provenance.md: not the artifact owner's to act on).
          this.notScored.inc({ code: e.code });
          this.ctx.logger.warn(
            { code: e.code, subject: src.subject, predicateType: src.predicateType, event: src.eventId },
            `provenance: not scored (${e.code})`,
          );
        }
      }
    }
    if (items.length === 0) return;
    let model = this.models.get();
    let verdicts;
    try {
      verdicts = await scoreBatch(
        model?.model,
        items.map((i) => i.item),
      );
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      // The runtime failed on this batch: the rule floor still judges it (evidence says score null)
      // rather than holding the partition or dead-lettering releases.
      this.inferenceFailed.inc();
      this.ctx.logger.error({ code: e.code, documents: items.length }, `provenance: inference failed (${e.code}); rule floor only for this batch`);
      model = undefined;
      verdicts = await scoreBatch(
        undefined,
        items.map((i) => i.item),
      );
    }
    const now = this.ctx.now();
    const out: CloudEvent<Finding>[] = [];
    verdicts.forEach((v, i) => {
      this.scored.inc({ verdict: v.anomalous ? 'anomalous' : 'normal' });
      if (v.anomalous) out.push(anomalousFinding(this.config, items[i]!.src, items[i]!.item, v, model, now));
    });
    if (out.length > 0) {
      await this.ctx.bus.publish(out);
      this.counted(out);
    }
    // The findings are durable: only now may the history move on (see the class comment).
    await pending.commit();
  }
}

/** Factory for tests and embedding; `config` is the raw section (validated here, defaults applied). */
export function createProvenanceDetector(
  config: ProvenanceConfigInput,
  ctx: ComponentContext,
  modelPath: string,
  runtime?: ScoringRuntime,
): ProvenanceDetector {
  return new ProvenanceDetector(parseConfig(provenanceConfigSchema, config ?? {}, 'detectors.provenance'), ctx, modelPath, runtime);
}
