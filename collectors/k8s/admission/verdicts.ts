import { type ArtifactVerified, type ImageRef, imageSubject, type StateStore } from '../../../core/index.js';

/**
 * What admission needs of one registry.artifact.verified.v1: the verdict and each policy's mode,
 * result and failures, until validUntil. Kept in memory for the hot path and in the StateStore so a
 * restarted daemon answers from what it knew (rebuilt at start; expired entries are dropped then).
 */
export interface KnownVerdict {
  subject: string;
  verdict: ArtifactVerified['verdict'];
  policies: { policy: string; mode: 'enforce' | 'warn'; result: 'pass' | 'fail' | 'not_applicable'; failures: string[]; reasons: string[] }[];
  /** Discovery could not finish (registry trouble): the verdict is not a judgement of the artifact. */
  incomplete: boolean;
  checkedAt: string;
  validUntil: string;
}

export function knownVerdict(v: ArtifactVerified): KnownVerdict {
  return {
    subject: imageSubject(v.image),
    verdict: v.verdict,
    policies: v.policies.map((p) => ({ policy: p.policy, mode: p.mode, result: p.result, failures: p.failures, reasons: p.reasons.slice(0, 4) })),
    incomplete: v.discoveryErrors.length > 0,
    checkedAt: v.checkedAt,
    validUntil: v.validUntil,
  };
}

/** Usable for an answer: fresh, and not a verdict that only says the registry could not be read. */
export function usable(v: KnownVerdict | undefined, now: number): v is KnownVerdict {
  return v !== undefined && Date.parse(v.validUntil) > now && !(v.incomplete && v.verdict !== 'pass');
}

export class VerdictCache {
  private readonly known = new Map<string, KnownVerdict>();
  private readonly waiters = new Map<string, Set<(v: KnownVerdict) => void>>();

  constructor(
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads what the StateStore holds (after a restart), dropping expired entries. */
  async load(state: StateStore): Promise<number> {
    for (const key of await state.list(`${this.prefix}:verdict:`)) {
      const v = await state.get<KnownVerdict>(key);
      if (v === undefined || Date.parse(v.validUntil) <= this.now()) await state.delete(key);
      else this.keep(v);
    }
    return this.known.size;
  }

  get(image: Pick<ImageRef, 'registry' | 'repository' | 'digest'>): KnownVerdict | undefined {
    return this.known.get(imageSubject(image));
  }

  /**
   * A result arrived on the bus: durable in the StateStore first, then answers waiters. The bus
   * handler resolves after this, so the consumer offset never passes a result we did not keep.
   */
  async record(state: StateStore | undefined, v: KnownVerdict): Promise<void> {
    const current = this.known.get(v.subject);
    // An older result delivered late (redelivery, a slower trigger) never replaces a newer one.
    if (current && Date.parse(current.checkedAt) > Date.parse(v.checkedAt)) return;
    if (state) await state.put(`${this.prefix}:verdict:${v.subject}`, v);
    this.keep(v);
  }

  /** Resolves with the next result for `subject`, or undefined when `signal` aborts first. */
  waitFor(subject: string, signal: AbortSignal): Promise<KnownVerdict | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const set = this.waiters.get(subject) ?? new Set();
      this.waiters.set(subject, set);
      const done = (v: KnownVerdict | undefined): void => {
        set.delete(done);
        if (set.size === 0) this.waiters.delete(subject);
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = (): void => done(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      set.add(done);
    });
  }

  get size(): number {
    return this.known.size;
  }

  private keep(v: KnownVerdict): void {
    this.known.set(v.subject, v);
    for (const w of [...(this.waiters.get(v.subject) ?? [])]) w(v);
  }
}
