import type { StateStore } from '../../core/index.js';
import { OriginViews, type ViewsJson } from './views.js';

/**
 * Durable per-origin bookkeeping, so a restart remembers when each log last moved, which
 * infrastructure conditions are open (to resolve them later) and what roots were seen.
 * Storage only: this module decides nothing and publishes nothing.
 */
export interface Freshness {
  /** observedAt of the newest verified checkpoint. */
  lastVerifiedAt: string;
  /** observedAt of the verified checkpoint that last grew the tree. */
  lastGrowthAt: string;
  lastSize: number;
  /** Reference time the stale finding fired for; null while fresh. */
  staleSince: string | null;
}

export interface OriginRecord {
  origin: string;
  url: string;
  freshness: Freshness | null;
  /** Open infrastructure anomaly kinds per vantage, with the dedup key they fired under. */
  openInfra: Record<string, Record<string, string>>;
  views: OriginViews;
}

interface OriginJson {
  origin: string;
  url: string;
  freshness: Freshness | null;
  openInfra: Record<string, Record<string, string>>;
  views: ViewsJson;
}

export class OriginStore {
  private readonly cache = new Map<string, OriginRecord>();

  constructor(
    private readonly state: StateStore,
    private readonly prefix: string,
    private readonly maxSizes: number,
  ) {}

  private key(origin: string): string {
    return `${this.prefix}:origin:${origin}`;
  }

  /** Loads every origin known to the store (the stale timer must see logs seen before a restart). */
  async loadAll(): Promise<void> {
    for (const k of await this.state.list(`${this.prefix}:origin:`)) {
      const json = await this.state.get<OriginJson>(k);
      if (json) this.cache.set(json.origin, this.fromJson(json));
    }
  }

  async get(origin: string, url: string): Promise<OriginRecord> {
    const hit = this.cache.get(origin);
    if (hit) return hit;
    const json = await this.state.get<OriginJson>(this.key(origin));
    const rec = json ? this.fromJson(json) : { origin, url, freshness: null, openInfra: {}, views: new OriginViews(this.maxSizes) };
    this.cache.set(origin, rec);
    return rec;
  }

  all(): OriginRecord[] {
    return [...this.cache.values()];
  }

  async save(rec: OriginRecord): Promise<void> {
    const json: OriginJson = { origin: rec.origin, url: rec.url, freshness: rec.freshness, openInfra: rec.openInfra, views: rec.views.toJSON() };
    await this.state.put(this.key(rec.origin), json);
  }

  /** Forgets the in-memory copy (after a failed handler) so the next read comes from the store. */
  evict(origin: string): void {
    this.cache.delete(origin);
  }

  private fromJson(json: OriginJson): OriginRecord {
    return {
      origin: json.origin,
      url: json.url,
      freshness: json.freshness,
      openInfra: json.openInfra ?? {},
      views: new OriginViews(this.maxSizes, json.views ?? []),
    };
  }
}
