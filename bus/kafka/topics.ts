import type { Admin } from '@platformatic/kafka';
import { sleep } from '../../core/index.js';
import { hasProtocolError, toBusError } from './errors.js';

/** ListOffsets timestamps: -1 = log end (high watermark), -2 = log start. */
const LATEST = -1n;
const EARLIEST = -2n;

/**
 * Admin-side work of the bus: creating topics on first use (cached), consumer lag and the health
 * probe. Every method throws BusError (classified at the edge), never raw client errors.
 */
export class TopicAdmin {
  private readonly known = new Set<string>();
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly admin: Admin,
    private readonly partitions: number,
    private readonly replicationFactor: number,
  ) {}

  /** Creates the wire topics that do not exist yet; concurrent callers share one creation. */
  async ensure(wireTopics: Iterable<string>): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const topic of wireTopics) {
      if (this.known.has(topic)) continue;
      let p = this.creating.get(topic);
      if (!p) {
        p = this.create(topic).finally(() => this.creating.delete(topic));
        this.creating.set(topic, p);
      }
      waits.push(p);
    }
    if (waits.length > 0) await Promise.all(waits);
  }

  private async create(topic: string): Promise<void> {
    try {
      await this.admin.createTopics({ topics: [topic], partitions: this.partitions, replicas: this.replicationFactor });
    } catch (err) {
      if (!hasProtocolError(err, 'TOPIC_ALREADY_EXISTS')) throw toBusError(err, 'BUS_INVALID_TOPIC', `create topic ${topic}`);
    }
    await this.waitForLeaders(topic);
    this.known.add(topic);
  }

  /** A new topic's partitions get leaders a moment after creation; producing before that fails. */
  private async waitForLeaders(topic: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const meta = await this.admin.metadata({ topics: [topic], forceUpdate: true });
        const t = meta.topics.get(topic);
        if (t && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)) return;
      } catch (err) {
        if (attempt >= 20) throw toBusError(err, 'BUS_INVALID_TOPIC', `leaders of ${topic}`);
      }
      if (attempt >= 20) return; // the producer's own retry on stale metadata takes it from here
      await sleep(50 * Math.min(attempt + 1, 5));
    }
  }

  /**
   * Lag per partition: log end offset minus the group's committed offset (a partition without a
   * commit counts from the log start). Only topics under `prefix` are considered.
   */
  async lag(group: string, prefix: string, alsoTopics: string[]): Promise<{ topic: string; partition: number; lag: number }[]> {
    try {
      const all = await this.admin.listTopics();
      const candidates = all.filter((t) => t.startsWith(prefix) && !t.startsWith('__'));
      if (candidates.length === 0) return [];
      // Every topic the group has committed on (a group is not bound to topics of ours).
      const [committed] = await this.admin.listConsumerGroupOffsets({ groups: [group] });
      const rows = (committed?.topics ?? []).filter((t) => candidates.includes(t.name) && t.partitions.some((p) => p.committedOffset >= 0n));
      const names = [...new Set([...rows.map((t) => t.name), ...alsoTopics.filter((t) => candidates.includes(t))])];
      const withPartitions = await this.withAllPartitions(names);
      if (withPartitions.length === 0) return [];
      const ends = await this.offsets(withPartitions, LATEST);
      const starts = await this.offsets(withPartitions, EARLIEST);
      const out: { topic: string; partition: number; lag: number }[] = [];
      for (const t of withPartitions) {
        const commits = new Map(rows.find((r) => r.name === t.name)?.partitions.map((p) => [p.partitionIndex, p.committedOffset]) ?? []);
        for (let p = 0; p < t.count; p++) {
          const end = ends.get(`${t.name}:${p}`);
          if (end === undefined) continue;
          const c = commits.get(p);
          const from = c !== undefined && c >= 0n ? c : (starts.get(`${t.name}:${p}`) ?? 0n);
          out.push({ topic: t.name, partition: p, lag: Number(end - from) });
        }
      }
      return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    } catch (err) {
      throw toBusError(err, 'BUS_UNAVAILABLE', `lag of ${group}`);
    }
  }

  private async withAllPartitions(topics: string[]): Promise<{ name: string; count: number }[]> {
    if (topics.length === 0) return [];
    const meta = await this.admin.metadata({ topics });
    return topics.map((name) => ({ name, count: meta.topics.get(name)?.partitionsCount ?? 0 }));
  }

  private async offsets(topics: { name: string; count: number }[], timestamp: bigint): Promise<Map<string, bigint>> {
    const listed = await this.admin.listOffsets({
      topics: topics.map((t) => ({ name: t.name, partitions: Array.from({ length: t.count }, (_, partitionIndex) => ({ partitionIndex, timestamp })) })),
    });
    return new Map(listed.flatMap((t) => t.partitions.map((p) => [`${t.name}:${p.partitionIndex}`, p.offset] as const)));
  }

  /** A cheap round trip to the cluster (metadata), used by the health probe. */
  async probe(): Promise<void> {
    try {
      await this.admin.metadata({ topics: [], forceUpdate: true });
    } catch (err) {
      throw toBusError(err, 'BUS_UNAVAILABLE', 'probe');
    }
  }
}
