import { type FSWatcher, watch } from 'node:fs';
import { describeError } from '../../core/index.js';
import { ImagePolicyError } from './errors.js';
import { loadPolicies } from './loader.js';
import type { PolicySet } from './set.js';

export type ReloadOutcome = { ok: true; set: PolicySet } | { ok: false; error: ImagePolicyError };

export interface PolicyHolderOptions {
  /** Called after every reload attempt (log it, count it). */
  onReload?: (outcome: ReloadOutcome) => void;
  /** Quiet time after the last file event before reloading (editors write in several steps). */
  debounceMs?: number;
}

/**
 * Holds the policies in force and reloads them when the directory changes, with last-good
 * semantics: a reload that fails (a broken file) is reported with its locations and the previous
 * set stays in force; `current()` never returns a half-loaded set. Start fails when the first load
 * fails: there is no last good set to fall back on.
 */
export class PolicyHolder {
  private set: PolicySet | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<ReloadOutcome> | undefined;
  private again = false;

  constructor(
    private readonly path: string,
    private readonly opts: PolicyHolderOptions = {},
  ) {}

  async start(): Promise<PolicySet> {
    const first = await this.reload();
    if (!first.ok) throw first.error;
    this.watcher = watch(this.path, () => this.schedule());
    this.watcher.on('error', () => this.schedule());
    return first.set;
  }

  /** The set in force. */
  current(): PolicySet {
    if (!this.set) throw new Error('PolicyHolder.current() before start()');
    return this.set;
  }

  /** Loads now; on failure the set in force is kept. Concurrent calls share one load (and queue one more). */
  async reload(): Promise<ReloadOutcome> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.load();
    try {
      return await this.loading;
    } finally {
      this.loading = undefined;
      if (this.again) {
        this.again = false;
        void this.reload();
      }
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.opts.debounceMs ?? 100);
    this.timer.unref();
  }

  private async load(): Promise<ReloadOutcome> {
    let outcome: ReloadOutcome;
    try {
      const set = await loadPolicies(this.path);
      this.set = set;
      outcome = { ok: true, set };
    } catch (err) {
      const error =
        err instanceof ImagePolicyError
          ? err
          : new ImagePolicyError('POLICY_UNREADABLE', [{ file: this.path, path: '', message: describeError(err).message }], err);
      outcome = { ok: false, error };
    }
    this.opts.onReload?.(outcome);
    return outcome;
  }
}
