import { type Logger, type RetryPolicy, silentLogger, severityRank, withRetry } from '../../../core/index.js';
import { rangeHashes, TreeBuilder, type NodeId } from '../../../core/tlog/index.js';
import { AuditError } from '../errors.js';
import type { AuditEntry, AuditPage, AuditQuery, AuditRecord, AuditStore, BusPosition, StoredCheckpoint, StoredRow, TableCensus } from '../port.js';
import { AppendPlanner, parseRecordBody } from '../record.js';
import { checkpointsIndex, nodesIndex, type RecordDoc, recordDocument, recordsIndex, recordsPattern, rowFromHit } from './mappings.js';
import { countRows, listAllCheckpoints } from './census.js';
import { blockClosedMonths, requireTrail, setUpIndices } from './indices.js';
import type { SearchCalls, SearchRequest, SearchResponse, SearchTransport } from './transport.js';

export interface OpenSearchAuditStoreOptions {
  transport: SearchTransport;
  indexPrefix: string;
  /** Replicas of every audit index (0 on a single-node test cluster). */
  replicas?: number;
  /** Indices older than this (ms) are deleted by the ISM policy; absent keeps them forever. */
  retentionMs?: number;
  retry?: RetryPolicy;
  logger?: Logger;
  now?: () => Date;
  /**
   * false (read-only commands): write nothing at open (no template, index, policy or block) and
   * refuse a store that does not exist (AUDIT_STORE_NOT_FOUND) instead of creating it. Default true.
   */
  create?: boolean;
  /** Checkpoints per search request when listing them (default and at most MAX_PAGE); tests lower it to cross page boundaries. */
  checkpointPage?: number;
}

type Hit = { _id: string; _source: RecordDoc };
/** The parts of OpenSearch/Elasticsearch response bodies this store reads. */
interface Body {
  error?: { type?: string };
  items?: unknown[];
  hits: { hits: unknown[] };
  docs: unknown[];
}
const MAX_PAGE = 10_000;
const ok = (s: number): boolean => s >= 200 && s < 300;

/**
 * Audit store on OpenSearch (or, through the Elasticsearch client, Elasticsearch). Records go
 * to monthly indices with op_type=create and _id = record index; durability comes from
 * index.translog.durability=request (the bulk response means fsynced). Searches only see
 * refreshed data, so reads after our own writes refresh first (#dirty).
 */
export class OpenSearchAuditStore implements AuditStore {
  readonly kind = 'opensearch' as const;
  #planner: AppendPlanner | undefined;
  /** Open as a reader (create: false): the size read at open; no frontier (see open()). */
  #readerSize: number | undefined;
  #dirty = false;
  #lastIndex: string | undefined;
  #append: Promise<unknown> = Promise.resolve();
  readonly #o: OpenSearchAuditStoreOptions;
  readonly #p: string;

  constructor(opts: OpenSearchAuditStoreOptions) {
    this.#o = opts;
    this.#p = opts.indexPrefix;
  }

  async open(): Promise<void> {
    if (this.#planner || this.#readerSize !== undefined) return;
    // A reader (create: false) writes nothing and refuses a trail that does not exist.
    if (this.#o.create === false) await requireTrail(this.#calls, this.#p);
    else {
      await setUpIndices(this.#calls, this.#p, { replicas: this.#o.replicas ?? 1, retentionMs: this.#o.retentionMs, logger: this.#o.logger ?? silentLogger });
      await this.#blockClosedMonths();
    }
    this.#dirty = true;
    // Only a writer needs the tree's frontier. A reader (verify, query, proof) must open a tampered
    // trail too, so that verify can name what was done to it: a document forged at a high index
    // inflates the size and the frontier's nodes for it do not exist.
    if (this.#o.create === false) this.#readerSize = await this.#storedSize();
    else this.#planner = new AppendPlanner(await this.#loadBuilder());
  }

  async close(): Promise<void> {
    this.#planner = undefined;
    this.#readerSize = undefined;
    await this.#o.transport.close();
  }

  append(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    // Serialised: indices are assigned from the planner's size, one batch at a time.
    const run = this.#append.catch(() => undefined).then(() => this.#appendNow(entries));
    this.#append = run;
    return run;
  }

  async #appendNow(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    if (!this.#planner)
      throw new AuditError('AUDIT_STORE_CLOSED', this.#readerSize === undefined ? 'the audit store is not open' : 'the audit store was opened read-only');
    if (entries.length === 0) return [];
    const now = (this.#o.now ?? (() => new Date()))();
    const index = recordsIndex(this.#p, now);
    if (this.#lastIndex && this.#lastIndex !== index) await this.#blockClosedMonths();
    const batch = this.#planner.prepare(entries, now);
    const lines: unknown[] = [];
    for (const r of batch.records) lines.push({ create: { _index: index, _id: String(r.record.index) } }, recordDocument(r));
    for (const n of batch.nodes)
      lines.push(
        { create: { _index: nodesIndex(this.#p), _id: `${n.id.level}-${n.id.index}` } },
        { level: n.id.level, index: n.id.index, hash: n.hash.toString('hex') },
      );
    try {
      await this.#bulkCreate(lines);
    } catch (err) {
      // Some documents may be in: reload size and frontier from the cluster before the next append.
      this.#planner = new AppendPlanner(await this.#loadBuilder().catch(() => TreeBuilder.empty()));
      throw err;
    }
    this.#planner.commit();
    this.#dirty = true;
    this.#lastIndex = index;
    return batch.records.map((p) => p.record);
  }

  /**
   * Sends create actions; re-sends only the items that failed retriably. A 409 on a re-send means
   * the first attempt did write the document (its response was lost): that counts as done.
   */
  async #bulkCreate(lines: unknown[]): Promise<void> {
    let pending = lines;
    let attempt = 0;
    await withRetry(
      async () => {
        attempt++;
        const res = await this.#call({ method: 'POST', path: '/_bulk', bulkBody: pending });
        if (!ok(res.status)) this.#throw(res, 'bulk append');
        const items = (res.body.items ?? []) as { create: { status: number; error?: { type?: string } } }[];
        const retry: unknown[] = [];
        let fatal: string | undefined;
        items.forEach((it, k) => {
          const st = it.create.status;
          if (ok(st) || (st === 409 && attempt > 1)) return;
          if (st === 429 || st >= 500) retry.push(pending[2 * k], pending[2 * k + 1]);
          else fatal ??= `${st} ${it.create.error?.type ?? ''}`;
        });
        if (fatal) throw new AuditError('AUDIT_WRITE_FAILED', `bulk append refused: ${fatal}`);
        if (retry.length) {
          pending = retry;
          throw new AuditError('AUDIT_STORE_UNAVAILABLE', `${retry.length / 2} bulk items rejected, retrying`, { retriable: true });
        }
      },
      this.#o.retry ?? { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5000 },
    );
  }

  async size(): Promise<number> {
    const size = this.#planner?.size ?? this.#readerSize;
    if (size === undefined) throw new AuditError('AUDIT_STORE_CLOSED', 'the audit store is not open');
    return size;
  }

  async get(ref: { index: number } | { id: string }): Promise<AuditRecord | undefined> {
    if ('index' in ref && ref.index < 0) return undefined;
    // Documents outside [0, size) are not part of the log (verify reports them): never served.
    const inLog = { range: { 'chainwatch.audit.index': { gte: 0 } } };
    const query = {
      bool: { filter: ['index' in ref ? { term: { 'chainwatch.audit.index': ref.index } } : { term: { 'chainwatch.audit.id': ref.id } }, inLog] },
    };
    const hits = await this.#search({ query, sort: [{ 'chainwatch.audit.index': 'asc' }], size: 1 });
    return hits[0] ? parseRecordBody(rowFromHit(hits[0]).body) : undefined;
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    const filter: object[] = [{ range: { 'chainwatch.audit.index': { gte: 0 } } }];
    const desc = q.order === 'desc';
    if (q.since || q.until) filter.push({ range: { '@timestamp': { ...(q.since ? { gte: q.since } : {}), ...(q.until ? { lt: q.until } : {}) } } });
    for (const [field, v] of [
      ['subject', q.subject],
      ['digest', q.digest],
      ['identity', q.identity],
      ['kind', q.kind],
    ] as const) {
      if (v) filter.push({ term: { [`chainwatch.audit.${field}`]: v } });
    }
    if (q.type)
      filter.push(q.type.endsWith('*') ? { prefix: { 'chainwatch.audit.type': q.type.slice(0, -1) } } : { term: { 'chainwatch.audit.type': q.type } });
    if (q.severity) filter.push({ range: { 'event.severity': { gte: severityRank(q.severity) } } });
    if (q.after !== undefined) filter.push({ range: { 'chainwatch.audit.index': desc ? { lt: q.after } : { gt: q.after } } });
    const limit = Math.min(Math.max(q.limit ?? 100, 1), MAX_PAGE - 1);
    const hits = await this.#search({ query: { bool: { filter } }, sort: [{ 'chainwatch.audit.index': desc ? 'desc' : 'asc' }], size: limit + 1 });
    const records = hits.slice(0, limit).map((h) => parseRecordBody(rowFromHit(h).body));
    return hits.length > limit ? { records, next: records[records.length - 1]!.index } : { records };
  }

  async leafHashes(start: number, end: number): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (let from = start; from < end;) {
      const rows = await this.scan(from, Math.min(end - from, MAX_PAGE));
      for (const r of rows) {
        if (r.position !== from) throw new AuditError('AUDIT_NOT_FOUND', `leaf hash ${from} is not stored`);
        out.push(r.leafHash);
        from++;
      }
      if (rows.length === 0) throw new AuditError('AUDIT_NOT_FOUND', `leaf hash ${from} is not stored`);
    }
    return out;
  }

  async nodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    const leaves = ids.filter((id) => id.level === 0).map((id) => id.index);
    const leafByIndex = new Map<number, Buffer>();
    if (leaves.length) {
      const hits = await this.#search({ query: { terms: { 'chainwatch.audit.index': leaves } }, size: leaves.length, _source: ['chainwatch.audit.leaf_hash'] });
      for (const h of hits) leafByIndex.set(Number(h._id), Buffer.from(String((h._source.chainwatch?.audit?.leaf_hash as string | undefined) ?? ''), 'hex'));
    }
    const inner = ids.filter((id) => id.level > 0).map((id) => `${id.level}-${id.index}`);
    const innerById = new Map<string, Buffer>();
    if (inner.length) {
      // _mget is realtime: no refresh needed for nodes written a moment ago.
      const res = await this.#must({ method: 'POST', path: `/${nodesIndex(this.#p)}/_mget`, body: { ids: inner } }, 'read tree nodes');
      for (const d of res.body.docs as { _id: string; found: boolean; _source?: { hash: string } }[]) {
        if (d.found && d._source) innerById.set(d._id, Buffer.from(d._source.hash, 'hex'));
      }
    }
    return ids.map((id) => {
      const h = id.level === 0 ? leafByIndex.get(id.index) : innerById.get(`${id.level}-${id.index}`);
      if (!h) throw new AuditError('AUDIT_NOT_FOUND', `tree node ${id.level}/${id.index} is not stored`);
      return h;
    });
  }

  async scan(from: number, limit: number): Promise<StoredRow[]> {
    const hits = await this.#search({
      query: { range: { 'chainwatch.audit.index': { gte: from } } },
      sort: [{ 'chainwatch.audit.index': 'asc' }],
      size: Math.min(limit, MAX_PAGE),
    });
    return hits.map(rowFromHit);
  }

  async putCheckpoint(cp: StoredCheckpoint): Promise<void> {
    await this.#must(
      {
        method: 'PUT',
        path: `/${checkpointsIndex(this.#p)}/_create/${cp.size}`,
        body: { size: cp.size, root_hash: cp.rootHash, note: cp.note, created_at: cp.createdAt },
      },
      `store checkpoint ${cp.size}`,
    );
  }

  listCheckpoints(): Promise<StoredCheckpoint[]> {
    return listAllCheckpoints(this.#calls, checkpointsIndex(this.#p), Math.min(this.#o.checkpointPage ?? MAX_PAGE, MAX_PAGE));
  }

  async recentPositions(limit: number): Promise<BusPosition[]> {
    const hits = await this.#search({
      query: { exists: { field: 'chainwatch.audit.topic' } },
      sort: [{ 'chainwatch.audit.index': 'desc' }],
      size: Math.min(limit, MAX_PAGE),
      _source: ['chainwatch.audit.topic', 'chainwatch.audit.partition', 'chainwatch.audit.offset'],
    });
    return hits.map((h) => {
      const a = h._source.chainwatch?.audit ?? {};
      return { topic: String(a.topic), partition: Number(a.partition), offset: Number(a.offset) };
    });
  }

  census(): Promise<TableCensus[]> {
    return countRows(this.#calls, { records: recordsPattern(this.#p), nodes: nodesIndex(this.#p), checkpoints: checkpointsIndex(this.#p) });
  }

  async #search(body: object): Promise<Hit[]> {
    if (this.#dirty) {
      await this.#must({ method: 'POST', path: `/${recordsPattern(this.#p)}/_refresh`, querystring: { allow_no_indices: true } }, 'refresh');
      this.#dirty = false;
    }
    const res = await this.#must(
      {
        method: 'POST',
        path: `/${recordsPattern(this.#p)}/_search`,
        querystring: { allow_no_indices: true, ignore_unavailable: true },
        body: { track_total_hits: false, ...body },
      },
      'search records',
    );
    return res.body.hits.hits as Hit[];
  }

  /** Size from the highest stored index; frontier from stored nodes (O(log n) reads). */
  async #loadBuilder(): Promise<TreeBuilder> {
    const size = await this.#storedSize();
    if (size === 0) return TreeBuilder.empty();
    return TreeBuilder.fromFrontier(size, await rangeHashes(TreeBuilder.frontierRanges(size), (ids) => this.nodes(ids)));
  }

  async #storedSize(): Promise<number> {
    this.#dirty = true;
    const top = await this.#search({ query: { match_all: {} }, sort: [{ 'chainwatch.audit.index': 'desc' }], size: 1, _source: false });
    return top[0] ? Number(top[0]._id) + 1 : 0;
  }

  #blockClosedMonths(): Promise<void> {
    return blockClosedMonths(this.#calls, this.#p, (this.#o.now ?? (() => new Date()))());
  }

  /** The raw calls the helpers (indices.ts, census.ts) need, without handing them the store. */
  readonly #calls: SearchCalls = { call: (req) => this.#call(req), must: (req, what) => this.#must(req, what), fail: (res, what) => this.#throw(res, what) };

  async #call(req: SearchRequest): Promise<SearchResponse<Body>> {
    return this.#o.transport.request<Body>(req);
  }

  async #must(req: SearchRequest, what: string): Promise<SearchResponse<Body>> {
    const res = await this.#call(req);
    if (!ok(res.status)) this.#throw(res, what);
    return res;
  }

  #throw(res: SearchResponse, what: string): never {
    const type = (res.body as { error?: { type?: string } } | undefined)?.error?.type ?? '';
    const retriable = res.status === 429 || res.status >= 500;
    throw new AuditError(retriable ? 'AUDIT_STORE_UNAVAILABLE' : 'AUDIT_WRITE_FAILED', `${what}: HTTP ${res.status} ${type}`.trim(), { retriable });
  }
}
