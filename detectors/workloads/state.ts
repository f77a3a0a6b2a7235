import { createHash } from 'node:crypto';
import type { FindingCategory, KeyRevoked, Severity, StateStore, Workload } from '../../core/index.js';
import type { ImageFacts } from './rules.js';

/**
 * The detector's durable memory, in the daemon's StateStore, under "workloads:":
 *   wl:<cluster/ns/kind/name>   the latest state of a watched workload and what fired for it
 *   img:<digest>                what the latest check of an image in use said (ImageFacts)
 *   rev:<subject>               a revocation (keys.revoked.v1 data)
 *   adm:since:<cluster>         when an admission decision of this cluster was first seen (webhook active)
 *   adm:ok:<cluster/ns/kind/name>  when an allowed, non-dry-run decision named this object
 *   adm:anon:<cluster/ns>:<hash>   allowed Pod decisions without a name yet (generateName), by image set
 * Workloads, images and revocations are also held in memory (loaded at start; written through).
 */
const P = 'workloads:';

export interface FiredRecord {
  rule: string;
  severity: Severity;
  category: FindingCategory;
  subject: string;
  summary: string;
  digest?: string;
}

export interface WorkloadRecord {
  w: Workload;
  /** dedupKey -> what fired, so a cleared condition or a stop resolves exactly that. */
  fired: Record<string, FiredRecord>;
}

export class WorkloadsState {
  readonly workloads = new Map<string, WorkloadRecord>();
  readonly images = new Map<string, ImageFacts>();
  readonly revocations = new Map<string, KeyRevoked>();

  constructor(private readonly store: StateStore) {}

  async load(): Promise<void> {
    for (const [prefix, map] of [
      ['wl:', this.workloads],
      ['img:', this.images],
      ['rev:', this.revocations],
    ] as const) {
      for (const k of await this.store.list(`${P}${prefix}`)) {
        const v = await this.store.get(k);
        if (v !== undefined) (map as Map<string, unknown>).set(k.slice(P.length + prefix.length), v);
      }
    }
  }

  async putWorkload(key: string, r: WorkloadRecord | undefined): Promise<void> {
    if (r) {
      this.workloads.set(key, r);
      await this.store.put(`${P}wl:${key}`, r);
    } else {
      this.workloads.delete(key);
      await this.store.delete(`${P}wl:${key}`);
    }
  }

  async putImage(f: ImageFacts): Promise<void> {
    this.images.set(f.digest, f);
    await this.store.put(`${P}img:${f.digest}`, f);
  }

  async putRevocation(subject: string, r: KeyRevoked): Promise<void> {
    this.revocations.set(subject, r);
    await this.store.put(`${P}rev:${subject}`, r);
  }

  admissionSince(cluster: string): Promise<string | undefined> {
    return this.store.get<string>(`${P}adm:since:${cluster}`);
  }

  async noteAdmissionActive(cluster: string, at: string): Promise<void> {
    const prev = await this.admissionSince(cluster);
    if (prev === undefined || Date.parse(at) < Date.parse(prev)) await this.store.put(`${P}adm:since:${cluster}`, at);
  }

  admitted(key: string): Promise<string | undefined> {
    return this.store.get<string>(`${P}adm:ok:${key}`);
  }

  putAdmitted(key: string, at: string): Promise<void> {
    return this.store.put(`${P}adm:ok:${key}`, at);
  }

  async anonymous(scope: string, imagesKey: string): Promise<string[]> {
    return (await this.store.get<string[]>(anonKey(scope, imagesKey))) ?? [];
  }

  /** Keeps the 32 latest decision times per namespace and image set. */
  async addAnonymous(scope: string, imagesKey: string, at: string): Promise<void> {
    const prev = await this.anonymous(scope, imagesKey);
    await this.store.put(anonKey(scope, imagesKey), [at, ...prev.filter((x) => x !== at)].slice(0, 32));
  }
}

function anonKey(scope: string, imagesKey: string): string {
  return `${P}adm:anon:${scope}:${createHash('sha256').update(imagesKey).digest('hex').slice(0, 32)}`;
}
