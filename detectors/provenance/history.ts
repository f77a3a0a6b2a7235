import type { Provenance } from './normalize.js';

/**
 * What earlier releases of one source repository looked like: the memory the first-seen and
 * change-from-previous features read. Bounded: the last MAX_RELEASES releases and at most
 * MAX_SEEN names per set (oldest dropped first), so a busy repository cannot grow it without end.
 */
export const MAX_RELEASES = 20;
export const MAX_SEEN = 64;

export interface ReleaseRecord {
  /** Epoch ms of the build (0 when unknown). */
  t: number;
  materials: number;
}

export interface RepoHistory {
  releases: ReleaseRecord[];
  builders: string[];
  workflows: string[];
  signers: string[];
  triggers: string[];
}

/** The history the features of one document are computed against. */
export interface HistoryContext {
  repo: RepoHistory | undefined;
  /** Source repository an earlier release of the same subject (package/image) came from. */
  subjectRepo: string | undefined;
}

/** Durable history, keyed by source repository and by subject. The detector keeps it in the StateStore; the CLI in a JSON file. */
export interface HistoryStore {
  getRepo(repo: string): Promise<RepoHistory | undefined>;
  putRepo(repo: string, h: RepoHistory): Promise<void>;
  getSubject(subjectKey: string): Promise<string | undefined>;
  putSubject(subjectKey: string, repo: string): Promise<void>;
}

export const emptyHistory = (): RepoHistory => ({ releases: [], builders: [], workflows: [], signers: [], triggers: [] });

/** The signer name first-seen is tracked by: certificate SAN, else key fingerprint. */
export const signerName = (p: Provenance): string | undefined => p.signer?.san ?? p.signer?.fingerprintSha256;

/**
 * Subject names that identify a package or image across versions ("pkg:npm/x@1.2" -> "pkg:npm/x",
 * "ghcr.io/a/b@sha256:.." -> "ghcr.io/a/b"); plain file names (binary-linux-amd64) are not tracked
 * because unrelated projects share them.
 */
export function subjectKey(name: string): string | undefined {
  if (name.startsWith('pkg:')) return name.replace(/@[^@/]*$/, '');
  if (!name.includes('/')) return undefined;
  return name.replace(/@sha(256|384|512):[0-9a-f]+$/, '').replace(/:[\w.-]+$/, '');
}

/** History after one more release; pure (returns a new object). */
export function withRelease(h: RepoHistory | undefined, p: Provenance): RepoHistory {
  const base = h ?? emptyHistory();
  const add = (list: string[], v: string | undefined): string[] => (v === undefined || list.includes(v) ? list : [...list, v].slice(-MAX_SEEN));
  const t = p.time !== undefined ? Date.parse(p.time) : NaN;
  return {
    releases: [...base.releases, { t: Number.isFinite(t) ? t : 0, materials: p.materialsCount }].slice(-MAX_RELEASES),
    builders: add(base.builders, p.builderId),
    workflows: add(base.workflows, p.workflowPath),
    signers: add(base.signers, signerName(p)),
    triggers: add(base.triggers, p.trigger),
  };
}

export async function contextFor(store: HistoryStore, p: Provenance): Promise<HistoryContext> {
  const repo = p.sourceRepo !== undefined ? await store.getRepo(p.sourceRepo) : undefined;
  let subjectRepo: string | undefined;
  for (const s of p.subjects) {
    const k = subjectKey(s);
    if (k !== undefined) subjectRepo ??= await store.getSubject(k);
  }
  return { repo, subjectRepo };
}

/** Records the release. Call only after the outcome (finding or nothing) is durable: history must not run ahead of what was reported. */
export async function recordRelease(store: HistoryStore, p: Provenance, ctx: HistoryContext): Promise<void> {
  if (p.sourceRepo === undefined) return;
  await store.putRepo(p.sourceRepo, withRelease(ctx.repo, p));
  for (const s of p.subjects) {
    const k = subjectKey(s);
    // The first repository a subject was built from stays its home: a later mismatch keeps flagging.
    if (k !== undefined && ctx.subjectRepo === undefined) await store.putSubject(k, p.sourceRepo);
  }
}

/** In-memory store (tests, the CLI's history file, training-corpus generation). */
export class MemoryHistoryStore implements HistoryStore {
  constructor(
    readonly repos: Record<string, RepoHistory> = {},
    readonly subjects: Record<string, string> = {},
  ) {}
  getRepo = async (repo: string) => this.repos[repo];
  putRepo = async (repo: string, h: RepoHistory) => void (this.repos[repo] = h);
  getSubject = async (k: string) => this.subjects[k];
  putSubject = async (k: string, repo: string) => void (this.subjects[k] = repo);
  toJSON(): { repos: Record<string, RepoHistory>; subjects: Record<string, string> } {
    return { repos: this.repos, subjects: this.subjects };
  }
}
