import type { KeyRevoked, Severity, FindingCategory, StateStore } from '../../core/index.js';
import type { UseRecord } from './uses.js';

/**
 * The detector's durable memory, in the daemon's StateStore (the embedded bus's own database by
 * default). Keys, all under "key-misuse:":
 *   revocation:<subject>  the KeyRevoked event (subject = "key:<id>" | "identity:<iss>|<san>")
 *   uses:<subject>        recent uses of that key or identity, newest first (bounded by
 *                         historyWindow and historyMax): what a late revocation is judged against
 *   digest:<digest>       who signed it and which policy/discovery findings are firing for it
 *   repos:<label>         repositories a key or identity signed for, first seen first
 *   release:<repository>  when the latest release of that repository was signed
 */
const P = 'key-misuse:';

export interface FiredRecord {
  rule: string;
  severity: Severity;
  category: FindingCategory;
  subject: string;
  summary: string;
}

export interface DigestState {
  signers: string[];
  /** dedupKey -> what fired, so a later passing check can resolve exactly that. */
  fired: Record<string, FiredRecord>;
}

export class KeyMisuseState {
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

  async uses(subject: string): Promise<UseRecord[]> {
    return (await this.store.get<UseRecord[]>(`${P}uses:${subject}`)) ?? [];
  }

  /** Adds uses (idempotent by event id), keeps the newest `max` within `windowMs` of the newest. */
  async addUses(subject: string, added: UseRecord[], windowMs: number, max: number): Promise<void> {
    const all = [...added, ...(await this.uses(subject)).filter((u) => !added.some((a) => a.eventId === u.eventId))];
    all.sort((a, b) => Date.parse(b.signedAt) - Date.parse(a.signedAt));
    const newest = Date.parse(all[0]!.signedAt);
    await this.store.put(`${P}uses:${subject}`, all.filter((u) => Date.parse(u.signedAt) >= newest - windowMs).slice(0, max));
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
