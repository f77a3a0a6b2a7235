import type { Admin } from 'kafkajs';
import { toBusError } from './errors.js';

/**
 * Admin-side work of the bus: creating topics on first use (cached), consumer lag and the health
 * probe. Every method throws BusError (classified at the edge), never raw kafkajs errors.
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
      await this.admin.createTopics({
        topics: [{ topic, numPartitions: this.partitions, replicationFactor: this.replicationFactor }],
        waitForLeaders: true,
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw toBusError(err, 'BUS_INVALID_TOPIC', `create topic ${topic}`);
    }
    this.known.add(topic);
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
      const committed = await this.admin.fetchOffsets({ groupId: group, topics: candidates });
      const out: { topic: string; partition: number; lag: number }[] = [];
      for (const { topic, partitions } of committed) {
        const hasCommit = partitions.some((p) => Number(p.offset) >= 0);
        if (!hasCommit && !alsoTopics.includes(topic)) continue;
        const ends = new Map((await this.admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o]));
        for (const p of partitions) {
          const end = ends.get(p.partition);
          if (!end) continue;
          const from = Number(p.offset) >= 0 ? BigInt(p.offset) : BigInt(end.low);
          out.push({ topic, partition: p.partition, lag: Number(BigInt(end.high) - from) });
        }
      }
      return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    } catch (err) {
      throw toBusError(err, 'BUS_UNAVAILABLE', `lag of ${group}`);
    }
  }

  /** A cheap round trip to the cluster (metadata), used by the health probe. */
  async probe(): Promise<void> {
    try {
      await this.admin.describeCluster();
    } catch (err) {
      throw toBusError(err, 'BUS_UNAVAILABLE', 'probe');
    }
  }
}

function isAlreadyExists(err: unknown): boolean {
  const e = err as { type?: string; errors?: { type?: string }[] };
  if (e?.type === 'TOPIC_ALREADY_EXISTS') return true;
  return Array.isArray(e?.errors) && e.errors.length > 0 && e.errors.every((x) => x?.type === 'TOPIC_ALREADY_EXISTS');
}
