import type { StateStore } from '../../core/index.js';
import type { HistoryStore, RepoHistory } from './history.js';

/**
 * The detector's durable history in the daemon's StateStore. Keys, all under "provenance:":
 *   repo:<host/owner/repo>   RepoHistory (bounded: history.ts MAX_RELEASES / MAX_SEEN)
 *   subject:<subject key>    the source repository a package/image was first built from
 */
const P = 'provenance:';

export class StateHistoryStore implements HistoryStore {
  constructor(private readonly store: StateStore) {}
  getRepo = (repo: string) => this.store.get<RepoHistory>(`${P}repo:${repo}`);
  putRepo = (repo: string, h: RepoHistory) => this.store.put(`${P}repo:${repo}`, h);
  getSubject = (k: string) => this.store.get<string>(`${P}subject:${k}`);
  putSubject = (k: string, repo: string) => this.store.put(`${P}subject:${k}`, repo);
}

/**
 * One batch's view of the history: reads fall through to the durable store, writes stay here
 * until `commit()`. Documents of one batch see the releases before them in the same batch, and
 * nothing reaches the durable store before the batch's findings are published.
 */
export class PendingHistory implements HistoryStore {
  private readonly repos = new Map<string, RepoHistory>();
  private readonly subjects = new Map<string, string>();

  constructor(private readonly base: HistoryStore) {}

  getRepo = async (repo: string) => (this.repos.has(repo) ? this.repos.get(repo) : this.base.getRepo(repo));
  putRepo = async (repo: string, h: RepoHistory) => void this.repos.set(repo, h);
  getSubject = async (k: string) => (this.subjects.has(k) ? this.subjects.get(k) : this.base.getSubject(k));
  putSubject = async (k: string, repo: string) => void this.subjects.set(k, repo);

  async commit(): Promise<void> {
    for (const [repo, h] of this.repos) await this.base.putRepo(repo, h);
    for (const [k, repo] of this.subjects) await this.base.putSubject(k, repo);
  }
}
