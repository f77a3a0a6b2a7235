/**
 * What each vantage point said a log's root was at a given tree size, per origin.
 *
 * A log that shows different roots for one size to different observers (a split view) has forked
 * its history for some of them; Merkle proofs checked from a single vantage cannot see that. Here
 * every verified checkpoint from every vantage (primary, mirrors, witnesses) lands in one map
 * origin -> size -> {root, vantage}; a second, different root for a size is the evidence.
 *
 * Invariant: a size's record is the FIRST verified root seen for it and is never overwritten, so a
 * later conflicting root cannot erase the evidence. The map is bounded (oldest sizes evicted
 * first); `consistentWith` sizes are recorded too, because a vantage that proved consistency from
 * size n vouched for its root at n.
 */
export interface ViewRecord {
  root: string;
  vantage: string;
  observedAt: string;
  /** Id of the event that reported it (evidence for the finding). */
  eventId: string;
  /** Largest size the same vantage later proved consistent with this root (it vouched for it). */
  extendedTo?: number;
}

export type ViewCheck = { kind: 'new' } | { kind: 'agrees'; prior: ViewRecord } | { kind: 'conflict'; prior: ViewRecord };

/** Serialized form kept in the StateStore: [size, record] pairs in insertion order. */
export type ViewsJson = [number, ViewRecord][];

export class OriginViews {
  private readonly bySize: Map<number, ViewRecord>;

  constructor(
    private readonly max: number,
    json: ViewsJson = [],
  ) {
    this.bySize = new Map(json);
  }

  check(size: number, root: string): ViewCheck {
    const prior = this.bySize.get(size);
    if (!prior) return { kind: 'new' };
    return normalizeRoot(prior.root) === normalizeRoot(root) ? { kind: 'agrees', prior } : { kind: 'conflict', prior };
  }

  /** Remembers the first root for a size; later roots for the same size are not stored. */
  record(size: number, rec: ViewRecord): void {
    if (this.bySize.has(size)) return;
    this.bySize.set(size, rec);
    while (this.bySize.size > this.max) {
      const oldest = this.bySize.keys().next().value as number;
      this.bySize.delete(oldest);
    }
  }

  /**
   * A vantage proved its checkpoint at `to` consistent with its earlier one at `from`: when the
   * root we hold for `from` came from that same vantage, its history continues from it.
   */
  noteConsistency(from: number, to: number, vantage: string): void {
    const rec = this.bySize.get(from);
    if (rec && rec.vantage === vantage && (rec.extendedTo ?? -1) < to) rec.extendedTo = to;
  }

  get size(): number {
    return this.bySize.size;
  }

  toJSON(): ViewsJson {
    return [...this.bySize.entries()];
  }
}

/**
 * Checkpoints carry base64 roots; some APIs (Rekor v1 /api/v1/log) give hex. Compare as bytes so an
 * encoding difference is never mistaken for a split view.
 */
export function normalizeRoot(root: string): string {
  const r = root.trim();
  if (/^[0-9a-fA-F]{64}$/.test(r)) return Buffer.from(r, 'hex').toString('base64');
  return Buffer.from(r, 'base64').toString('base64');
}
