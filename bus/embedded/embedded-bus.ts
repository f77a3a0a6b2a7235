import { EventEmitter } from 'node:events';
import {
  type Bus,
  BusError,
  type ClosableStateStore,
  type BusHealth,
  busMetrics,
  knownTopics,
  type CloudEvent,
  encodeEvent,
  EventError,
  familyOf,
  keyOf,
  type Logger,
  MAX_EVENT_BYTES,
  type Metrics,
  noopMetrics,
  type PublishOptions,
  silentLogger,
  type StorageMonitor,
  type SubscribeOptions,
  type Subscription,
  topicFor,
  EVENT_FAMILIES,
  validateEvent,
  watchWrite,
} from '../../core/index.js';
import { importStateFile, openSqlite, type SqliteDatabase, SqliteStateTable } from '../../core/sqlite/index.js';
import type { EmbeddedBusConfig } from './config.js';
import { BUS_MIGRATIONS, BUS_WAL_AUTOCHECKPOINT, busDurability, partitionOf } from './schema.js';
import { RecentRecords, type StoredRow } from './recent.js';
import { type AppendRow, EmbeddedSubscription, type Store } from './subscription.js';

/**
 * The default bus: a durable local log in one SQLite file. publish() returns after the
 * transaction committed, so an accepted event survives a crash of this process.
 */
export class EmbeddedBus implements Bus {
  readonly kind = 'embedded' as const;
  private db: SqliteDatabase | undefined;
  private store: Store | undefined;
  private readonly subs = new Set<EmbeddedSubscription>();
  /** group\0topic\0partition -> member currently handling it (see EmbeddedSubscription). */
  private readonly leases = new Map<string, EmbeddedSubscription>();
  /** group -> its live members (membersOf), cleared whenever a subscription starts or stops. */
  private readonly members = new Map<string, EmbeddedSubscription[]>();
  private readonly wake = new EventEmitter().setMaxListeners(0);
  /** Committed records handed to in-process consumers without a SELECT (see RecentRecords). */
  private readonly recent: RecentRecords;
  private retentionTimer: NodeJS.Timeout | undefined;
  private readonly published;
  private readonly bm;
  private readonly lagGauge;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly config: EmbeddedBusConfig & { path: string },
    private readonly logger: Logger = silentLogger,
    private readonly metrics: Metrics = noopMetrics,
    /** Told when appends and commits fail because of the disk (and when they succeed again). */
    private readonly storage?: StorageMonitor,
  ) {
    this.published = metrics.counter('bus_events_published_total', 'Events appended to the bus', ['topic']);
    for (const topic of knownTopics()) this.published.inc({ topic }, 0);
    this.lagGauge = metrics.gauge('bus_consumer_lag', 'Records not yet committed by a consumer group', ['group', 'topic', 'partition']);
    this.bm = busMetrics(metrics);
    this.recent = new RecentRecords(2 * config.maxBatch, RECENT_MAX_BYTES);
  }

  async start(): Promise<void> {
    if (this.db) return;
    const db = this.openDatabase();
    this.db = db;
    this.store = prepare(db);
    this.stopping = undefined;
    this.retentionTimer = setInterval(() => this.applyRetention(), this.config.retention.checkInterval);
    this.retentionTimer.unref();
  }

  /**
   * The daemon's StateStore, in this bus's database: its own connection (usable before start()
   * and after stop()), the same durability. Why the same database: SQLite's WAL is one log with
   * chained frame checksums, and recovery after power loss keeps a prefix of the committed
   * transactions. A cursor committed after the publish() it follows can therefore never survive
   * without the records it covers; in two files (bus.db + state.db, before) it could.
   */
  stateStore(opts: { importFrom?: string } = {}): ClosableStateStore {
    const db = this.openDatabase();
    try {
      const from = opts.importFrom;
      const rows = from === undefined ? undefined : importStateFile(db, from);
      if (rows !== undefined) this.logger.info({ from, into: this.config.path, rows }, 'state store moved into the bus database');
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteStateTable(db, this.storage && { monitor: this.storage, store: 'state', path: this.config.path });
  }

  private openDatabase(): SqliteDatabase {
    // The operator's choice (fsync): process-crash by default, power-loss when asked. Cursors kept
    // here need no more than that: whatever a power loss drops, it drops after the records.
    return openSqlite(this.config.path, {
      durability: busDurability(this.config.fsync),
      migrations: BUS_MIGRATIONS,
      walAutocheckpoint: BUS_WAL_AUTOCHECKPOINT,
    });
  }

  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      await Promise.all([...this.subs].map((s) => s.stop()));
      this.db?.close();
      this.db = undefined;
      this.store = undefined;
      this.recent.clear();
    })();
    return this.stopping;
  }

  async flush(): Promise<void> {
    // Every publish is committed before it resolves; a WAL checkpoint keeps the -wal file short.
    this.db?.pragma('wal_checkpoint(PASSIVE)');
  }

  health(): BusHealth {
    return this.db ? { ready: true, detail: `sqlite ${this.config.path}` } : { ready: false, detail: 'not started' };
  }

  async publish(events: CloudEvent | CloudEvent[], opts: PublishOptions & { topic?: string } = {}): Promise<void> {
    const list = Array.isArray(events) ? events : [events];
    const rows: AppendRow[] = [];
    for (const e of list) {
      const ev = validateEvent(e);
      const value = encodeEvent(ev);
      // Consumers' decodeEvent() rejects larger records: refuse them here, as the Kafka bus does.
      if (value.byteLength > MAX_EVENT_BYTES) throw new EventError('EVENT_TOO_LARGE', `event of ${value.byteLength} bytes exceeds ${MAX_EVENT_BYTES}`);
      rows.push(this.row(opts.topic ?? topicFor(familyOf(ev.type)), opts.key ?? keyOf(ev), value, opts.headers));
    }
    this.append(rows);
  }

  async publishRaw(topic: string, records: { key: string; value: Buffer; headers?: Record<string, string> }[]): Promise<void> {
    // Copied: the caller keeps its buffer, and the copy kept for in-process consumers must stay
    // the bytes that were committed.
    this.append(records.map((r) => this.row(topic, r.key, Buffer.from(r.value), r.headers)));
  }

  private row(topic: string, key: string, value: Buffer, headers: Record<string, string> | undefined): AppendRow {
    const h = headers && Object.keys(headers).length ? JSON.stringify(headers) : null;
    return { topic, partition: partitionOf(key, this.config.partitions), key, headers: h, value };
  }

  private append(rows: AppendRow[]): void {
    const store = this.requireStore();
    if (rows.length === 0) return;
    let checked: string | undefined;
    for (const r of rows) {
      if (r.topic === checked) continue; // a batch is mostly one topic
      if (!TOPIC_NAME.test(r.topic)) throw new BusError('BUS_INVALID_TOPIC', `invalid topic name ${JSON.stringify(r.topic).slice(0, 80)}`);
      checked = r.topic;
    }
    let appended;
    try {
      // A full disk rolls the transaction back (nothing half-appended) and is reported: readiness,
      // the storage.full finding. The publisher keeps the events and retries (BusError retriable).
      appended = watchWrite(this.storage, 'bus', this.config.path, () => store.appendTx.immediate(rows, Date.now()));
    } catch (err) {
      throw new BusError('BUS_PUBLISH_FAILED', 'embedded bus append failed', { cause: err, retriable: true });
    }
    // Only now, after the commit: what consumers take from here is exactly what the file holds.
    for (const a of appended) {
      this.recent.add(a.topic, a.partition, a.rows);
      this.published.inc({ topic: a.topic }, a.rows.length);
    }
    this.wake.emit('append');
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    // Publishing stays possible while stop() drains (dead letters, findings); a new consumer does not:
    // stop() would not wait for it and it would outlive the database it reads.
    if (this.stopping) throw new BusError('BUS_STOPPED', 'embedded bus is stopping');
    const store = this.requireStore();
    const sub = new EmbeddedSubscription(opts, {
      store,
      recent: this.recent,
      partitions: this.config.partitions,
      maxBatch: this.config.maxBatch,
      maxInFlight: this.config.maxInFlight,
      pollIntervalMs: this.config.pollInterval,
      retry: {
        maxAttempts: this.config.handlerRetry.maxAttempts,
        baseDelayMs: this.config.handlerRetry.baseDelay,
        maxDelayMs: this.config.handlerRetry.maxDelay,
        ...opts.retry,
      },
      wake: this.wake,
      metrics: this.bm,
      lag: (group, topic, partition, lag) => this.lagGauge.set({ group, topic, partition: String(partition) }, lag),
      logger: this.logger.child({ group: opts.group }),
      commit: (group, topic, p, next) => watchWrite(this.storage, 'bus', this.config.path, () => store.commit.run(group, topic, p, next)),
      // An ephemeral reader (events tail) takes no share: the group's members would skip its partitions.
      members: () => this.membersOf(opts.group),
      onStopping: () => this.members.clear(),
      deadLetter: async (topic, rec) => this.publishRaw(topic, [rec]),
      onStopped: (s) => {
        this.subs.delete(s);
        this.members.clear();
      },
      claim: (topic, p, s) => {
        const k = `${opts.group}\0${topic}\0${p}`;
        const holder = this.leases.get(k);
        if (holder && holder !== s) return false;
        this.leases.set(k, s);
        return true;
      },
      release: (topic, p, s) => {
        const k = `${opts.group}\0${topic}\0${p}`;
        if (this.leases.get(k) === s) this.leases.delete(k);
      },
    });
    this.subs.add(sub);
    this.members.clear();
    sub.start();
    return sub;
  }

  /**
   * Live members of a group (never ephemeral readers), in subscription order. Asked per consumed
   * record (a member stops mid-batch when the assignment changed), so kept until membership changes.
   */
  private membersOf(group: string): EmbeddedSubscription[] {
    let m = this.members.get(group);
    if (!m) this.members.set(group, (m = [...this.subs].filter((s) => s.group === group && !s.ephemeral && !s.isStopped())));
    return m;
  }

  async lag(group: string): Promise<{ topic: string; partition: number; lag: number }[]> {
    return this.requireStore().lag.all(group) as { topic: string; partition: number; lag: number }[];
  }

  /**
   * Kafka-like retention, by age and by count per partition, except that a record of an
   * event-family topic is kept while any group of `retention.keepUncommittedOf` has not committed
   * past it (a group that never committed keeps everything): an audit sink that cannot start
   * holds records back instead of losing them unaudited.
   */
  applyRetention(now = Date.now()): number {
    const store = this.store;
    if (!store) return 0;
    const { maxAge, maxRecordsPerPartition, keepUncommittedOf } = this.config.retention;
    const res = store.retention.run({
      cutoff: now - maxAge,
      max: maxRecordsPerPartition,
      groups: JSON.stringify(keepUncommittedOf),
      topics: JSON.stringify(EVENT_FAMILIES.map(topicFor)),
    });
    // Deleted rows must not be handed out from memory either: read the file again.
    if (res.changes > 0) this.recent.clear();
    if (res.changes > 0) this.logger.info({ deleted: res.changes }, 'bus retention removed old records');
    return res.changes;
  }

  private requireStore(): Store {
    if (!this.store) throw new BusError(this.stopping ? 'BUS_STOPPED' : 'BUS_NOT_STARTED', 'embedded bus is not running');
    return this.store;
  }
}

/** Bytes of recent records kept for in-process consumers (RecentRecords), over all partitions. */
const RECENT_MAX_BYTES = 8 * 1024 * 1024;
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,200}$/;

interface Appended {
  topic: string;
  partition: number;
  rows: StoredRow[];
}

function prepare(db: SqliteDatabase): Store {
  const bump = db.prepare(
    `INSERT INTO partitions (topic, partition, next_offset) VALUES (?, ?, ?)
     ON CONFLICT (topic, partition) DO UPDATE SET next_offset = next_offset + excluded.next_offset RETURNING next_offset`,
  );
  const insert = db.prepare('INSERT INTO records (topic, partition, offset, key, headers, value, ts) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const appendTx = db.transaction((rows: AppendRow[], ts: number): Appended[] => {
    // Reserve a dense offset range per (topic, partition) inside the write transaction, so that
    // concurrent writers (daemon + CLI) never collide and order within a partition is total.
    const groups = new Map<string, AppendRow[]>();
    for (const r of rows) {
      const k = `${r.topic}\0${r.partition}`;
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    const out: Appended[] = [];
    for (const g of groups.values()) {
      const { topic, partition } = g[0]!;
      const { next_offset } = bump.get(topic, partition, g.length) as { next_offset: number };
      let offset = next_offset - g.length;
      const stored: StoredRow[] = [];
      for (const r of g) {
        insert.run(topic, partition, offset, r.key, r.headers, r.value, ts);
        stored.push({ offset: offset++, key: r.key, headers: r.headers, value: r.value, ts });
      }
      out.push({ topic, partition, rows: stored });
    }
    return out;
  });
  return {
    appendTx,
    fetch: db.prepare('SELECT offset, key, headers, value, ts FROM records WHERE topic = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?'),
    end: db.prepare('SELECT next_offset FROM partitions WHERE topic = ? AND partition = ?').pluck(),
    committed: db.prepare('SELECT committed FROM offsets WHERE grp = ? AND topic = ? AND partition = ?').pluck(),
    commit: db.prepare(
      'INSERT INTO offsets (grp, topic, partition, committed) VALUES (?, ?, ?, ?) ON CONFLICT (grp, topic, partition) DO UPDATE SET committed = excluded.committed',
    ),
    lag: db.prepare(
      `SELECT p.topic, p.partition, p.next_offset - COALESCE(o.committed, 0) AS lag FROM partitions p
       LEFT JOIN offsets o ON o.grp = ? AND o.topic = p.topic AND o.partition = p.partition ORDER BY p.topic, p.partition`,
    ),
    retention: db.prepare(
      `DELETE FROM records WHERE (ts < @cutoff OR offset < (SELECT next_offset - @max FROM partitions p WHERE p.topic = records.topic AND p.partition = records.partition))
       AND NOT (records.topic IN (SELECT value FROM json_each(@topics)) AND EXISTS (
         SELECT 1 FROM json_each(@groups) g WHERE records.offset >= COALESCE(
           (SELECT committed FROM offsets o WHERE o.grp = g.value AND o.topic = records.topic AND o.partition = records.partition), 0)))`,
    ),
  };
}
