import type { StoredCheckpoint, TableCensus } from '../port.js';
import type { SearchCalls } from './transport.js';

/**
 * The OpenSearch audit store's reads that must account for every document, whatever one search
 * page holds: the full checkpoint list and the row census `audit verify` compares with the tree.
 */

/** How long a scroll context lives between two pages. */
const SCROLL_KEEP_ALIVE = '1m';
type CheckpointDoc = { size: number; root_hash: string; note: string; created_at: string };
type ScrollBody = { _scroll_id?: string; hits: { hits: { _source: CheckpointDoc }[] } };

/**
 * Every checkpoint, through a scroll: one search returns at most a page (index.max_result_window,
 * 10,000 by default), and a trail that signs every few thousand records outgrows that. A scroll
 * also needs no unique sort key, so a forged twin of a checkpoint is listed too.
 */
export async function listAllCheckpoints(side: SearchCalls, index: string, page: number): Promise<StoredCheckpoint[]> {
  await side.must({ method: 'POST', path: `/${index}/_refresh` }, 'refresh checkpoints');
  let body = (
    await side.must(
      { method: 'POST', path: `/${index}/_search`, querystring: { scroll: SCROLL_KEEP_ALIVE }, body: { size: page, sort: ['_doc'] } },
      'list checkpoints',
    )
  ).body as ScrollBody;
  const docs: CheckpointDoc[] = [];
  let scrollId = body._scroll_id;
  try {
    for (;;) {
      docs.push(...body.hits.hits.map((h) => h._source));
      if (body.hits.hits.length < page || !scrollId) break;
      // Not retried: a lost answer would have moved the scroll on, and a silently skipped page
      // would read as deleted checkpoints. The caller sees the store as unavailable instead.
      body = (await side.must({ method: 'POST', path: '/_search/scroll', body: { scroll: SCROLL_KEEP_ALIVE, scroll_id: scrollId } }, 'list checkpoints'))
        .body as ScrollBody;
      scrollId = body._scroll_id ?? scrollId;
    }
  } finally {
    // Best effort: an unreleased scroll context expires after SCROLL_KEEP_ALIVE anyway.
    if (scrollId) await side.call({ method: 'DELETE', path: '/_search/scroll', body: { scroll_id: scrollId } }).catch(() => undefined);
  }
  return docs.map((d) => ({ size: d.size, rootHash: d.root_hash, note: d.note, createdAt: d.created_at })).sort((a, b) => a.size - b.size);
}

/** The aggregations countRows() asks for (min/max of an index field; node rows per level). */
interface Aggs {
  min?: { value: number | null };
  max?: { value: number | null };
  levels?: { buckets: ({ key: number; doc_count: number } & Aggs)[] };
}

/**
 * Every document of the records indices, the nodes index (per level) and the checkpoints index,
 * counted exactly (track_total_hits) with the lowest and highest index: no page limit applies.
 * Fields live inside the record documents here, so there is no fields row.
 */
export async function countRows(side: SearchCalls, indices: { records: string; nodes: string; checkpoints: string }): Promise<TableCensus[]> {
  const stats = (field: string) => ({ min: { min: { field } }, max: { max: { field } } });
  const count = async (index: string, aggs: object): Promise<{ total: number; aggs: Aggs }> => {
    await side.must({ method: 'POST', path: `/${index}/_refresh`, querystring: { allow_no_indices: true } }, 'refresh');
    const res = await side.must(
      { method: 'POST', path: `/${index}/_search`, querystring: { allow_no_indices: true }, body: { size: 0, track_total_hits: true, aggs } },
      'count rows',
    );
    const body = res.body as { hits: { total?: number | { value: number } }; aggregations: Aggs };
    const total = body.hits.total;
    return { total: typeof total === 'number' ? total : Number(total?.value ?? 0), aggs: body.aggregations };
  };
  const range = (a: Aggs, total: number) => ({ count: total, min: a.min?.value ?? null, max: a.max?.value ?? null });
  const records = await count(indices.records, stats('chainwatch.audit.index'));
  const nodes = await count(indices.nodes, { levels: { terms: { field: 'level', size: 100 }, aggs: stats('index') } });
  const cps = await count(indices.checkpoints, stats('size'));
  return [
    { table: 'records', ...range(records.aggs, records.total) },
    ...(nodes.aggs.levels?.buckets ?? []).map((b) => ({ table: 'nodes' as const, level: Number(b.key), ...range(b, b.doc_count) })),
    { table: 'checkpoints', ...range(cps.aggs, cps.total) },
  ];
}
