import type { KeyRevoked, Severity, FindingCategory, StateStore } from '../../core/index.js';
import { shortHash } from '../shared/index.js';
import type { UseRecord } from './uses.js';

/**
 * The detector's durable memory, in the daemon's StateStore (the embedded bus's own database by
 * default). Keys, all under "key-misuse:":
 *   revocation:<subject>  the KeyRevoked event (subject = "key:<id>" | "identity:<iss>|<san>")
 *   uses:<hash>:<eventId> one recent use of a key or identity (hash = of its subject; bounded
 *                         by historyWindow and historyMax): what a late revocation is judged against
 *   digest:<digest>       who signed it and which policy/discovery findings are firing for it
 *   repos:<label>         repositories a key or identity signed for, first seen first
 *   release:<repository>  when the latest release of that repository was signed
 */
const P = 'key-misuse:';
const usesPrefix = (subject: string): string => `${P}uses:${shortHash(subject)}:`;

export interface FiredRecord {
  rule: string;
  severity: Severity;
  category: FindingCategory;
  subject: string;
  summary: string;
}

export interface DigestState {
  signers: string[];
  /** dedupKey -> what fired, so a later passing check can resolve exactly that (and a re-check does not repeat it). */
  fired: Record<string, FiredRecord>;
  /** dedupKeys of key.* findings already published about this digest: a re-check does not repeat them (newest last, bounded). */
  reported?: string[];
}

/** Most key.* dedup keys remembered per digest. */
export const MAX_REPORTED = 256;

export class KeyMisuseState {
  /** Uses added per subject since start (when to prune). */
  private readonly added = new Map<string, number>();

  constructor(private readonly store: StateStore) {}

  async revocations(): Promise<KeyRevoked[]> {
    const keys = await this.store.list(`${P}revocation:`);
    const out: KeyRevoked[] = [];
    for (const k of keys) {
      const r = await this.store.get<KeyRevoked>(k);
      if (r) out.push(r);
    }
    return out;
  }

  putRevocation(subject: string, r: KeyRevoked): Promise<void> {
    return this.store.put(`${P}revocation:${subject}`, r);
  }

  /** Kept uses of a key or identity, newest first. */
  async uses(subject: string): Promise<UseRecord[]> {
    const out: UseRecord[] = [];
    for (const k of await this.store.list(usesPrefix(subject))) {
      const u = await this.store.get<UseRecord>(k);
      if (u?.keys.includes(subject)) out.push(u);
    }
    return out.sort((a, b) => Date.parse(b.signedAt) - Date.parse(a.signedAt));
  }

  /**
   * Keeps one use: one small row per use (idempotent by event id), so recording stays O(1). Every
   * `max / 4` additions to a subject, its rows beyond the newest `max` or older than `windowMs`
   * before the newest are deleted: the history stays bounded without rewriting it per use.
   */
  async addUse(subject: string, u: UseRecord, windowMs: number, max: number): Promise<void> {
    await this.store.put(`${usesPrefix(subject)}${u.eventId}`, u);
    const n = (this.added.get(subject) ?? 0) + 1;
    this.added.set(subject, n);
    if (n % Math.max(1, Math.floor(max / 4)) !== 0) return;
    const all = await this.uses(subject);
    const newest = Date.parse(all[0]?.signedAt ?? u.signedAt);
    for (const [i, old] of all.entries()) {
      if (i >= max || Date.parse(old.signedAt) < newest - windowMs) await this.store.delete(`${usesPrefix(subject)}${old.eventId}`);
    }
  }

  async digest(digest: string): Promise<DigestState> {
    return (await this.store.get<DigestState>(`${P}digest:${digest}`)) ?? { signers: [], fired: {} };
  }

  putDigest(digest: string, s: DigestState): Promise<void> {
    return this.store.put(`${P}digest:${digest}`, s);
  }

  async repos(label: string): Promise<string[]> {
    return (await this.store.get<string[]>(`${P}repos:${label}`)) ?? [];
  }

  putRepos(label: string, repos: string[]): Promise<void> {
    return this.store.put(`${P}repos:${label}`, repos);
  }

  /** Repositories with a recorded release. */
  async releasedRepositories(): Promise<string[]> {
    return (await this.store.list(`${P}release:`)).map((k) => k.slice(`${P}release:`.length));
  }

  async release(repository: string): Promise<string | undefined> {
    return this.store.get<string>(`${P}release:${repository}`);
  }

  async putRelease(repository: string, at: string): Promise<void> {
    const prev = await this.release(repository);
    if (prev === undefined || Date.parse(prev) < Date.parse(at)) await this.store.put(`${P}release:${repository}`, at);
  }
}

/** The state key prefix of revocations (for `chainwatch keys revocations`). */
export const REVOCATION_PREFIX = `${P}revocation:`;
