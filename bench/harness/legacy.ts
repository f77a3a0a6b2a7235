/**
 * Reads the text the benches printed before the re-layout (commit 1df2fe6: markdown tables and,
 * for rekor, one JSON line) into the measurements of specs.ts, so the "before" run is judged by
 * the same figures as this tree's. Every expected row must be present: a format that does not
 * match throws rather than record a partial run.
 */
import type { Values } from './spec.js';

/** The arguments the old benches take for the same work as `npm run bench` (no --write: it edits docs). */
export const LEGACY_ARGS: Record<string, string[]> = {
  'bus-embedded': ['50000'],
  'bus-kafka': ['--events', '200000'],
  rekor: ['--seconds', '5', '--json'],
  tlog: [],
  audit: ['--records', '20000', '--rounds', '3'],
  sinks: [],
};

/** Markdown table rows keyed by their first cell. */
function rows(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('|') || /^\|[\s:|-]+\|$/.test(t)) continue;
    const cells = t
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
    out.set(cells[0]!, cells.slice(1));
  }
  return out;
}

/** "92,088", "100.6", "33.9 MiB", "7,241 verifies/s", "45%" -> number. */
function num(cell: string | undefined, what: string): number {
  const m = /^-?[\d,]+(\.\d+)?/.exec(cell ?? '');
  if (!m) throw new Error(`legacy output: no number for ${what} (got ${JSON.stringify(cell)})`);
  return Number(m[0].replaceAll(',', ''));
}

function cell(table: Map<string, string[]>, row: string | RegExp, col: number): string | undefined {
  if (typeof row === 'string') return table.get(row)?.[col];
  for (const [k, v] of table) if (row.test(k)) return v[col];
  return undefined;
}

const get = (table: Map<string, string[]>, row: string | RegExp, col: number): number => num(cell(table, row, col), `'${String(row)}' column ${col + 1}`);

function busEmbedded(text: string): Values {
  const t = rows(text);
  return {
    rawInsert: get(t, /^raw SQLite insert \(batches/, 0),
    rawInsertReadBack: get(t, 'raw SQLite insert + read back', 0),
    bus: get(t, 'EmbeddedBus publish -> consume -> commit', 0),
    daemonRss: get(t, 'idle daemon (embedded defaults)', 0),
    bareRss: get(t, 'idle daemon (embedded defaults)', 1),
    eventBytes: num(/event (\d+) B\)/.exec(text)?.[1], 'event size'),
  };
}

function busKafka(text: string): Values {
  const t = rows(text);
  return {
    busPipeline: get(t, 'publish -> consume -> commit (events/s)', 0),
    rawPipeline: get(t, 'publish -> consume -> commit (events/s)', 1),
    busPublish: get(t, 'publish only, acks=all (events/s)', 0),
    rawPublish: get(t, 'publish only, acks=all (events/s)', 1),
    busCpu: get(t, 'Node CPU per event, pipeline (µs)', 0),
    rawCpu: get(t, 'Node CPU per event, pipeline (µs)', 1),
  };
}

function rekor(text: string): Values {
  const line = text.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error('legacy output: rekor printed no JSON line (was --json passed?)');
  const r = JSON.parse(line) as Record<string, number>;
  return { entries: r.verifiedEntriesPerCpuSec, ecdsa: r.ecdsaP256VerifiesPerCpuSec, pairedRatio: r.ratioToCryptoBound, ratioOfTotals: r.ratioOfTotals };
}

function tlog(text: string): Values {
  const t = rows(text);
  return {
    sha256CreateHash: get(t, 'raw sha256 (65-byte input, createHash)', 0),
    sha256OneShot: get(t, 'raw sha256 (65-byte input, crypto.hash one-shot)', 0),
    compactRange: get(t, 'CompactRange append (amortised) + root per 1024', 0),
    verifyInclusion: get(t, 'verifyInclusion (size ~2^20, 20 hashes)', 0),
    ecdsaVerify: get(t, 'ECDSA P-256 verify (node:crypto)', 0),
  };
}

function audit(text: string): Values {
  const t = rows(text);
  const sqlite = /^sqlite( \(median of \d+\))?$/;
  const search = (client: string, col: number): number | undefined =>
    t.has(`opensearch (${client} client)`) ? get(t, `opensearch (${client} client)`, col) : undefined;
  return {
    sqliteAudit: get(t, sqlite, 0),
    sqliteRaw: get(t, sqlite, 1),
    sqliteSameSchema: get(t, sqlite, 3),
    osAudit: search('opensearch', 0),
    osRaw: search('opensearch', 1),
    esAudit: search('elasticsearch', 0),
    esRaw: search('elasticsearch', 1),
    eventBytes: num(/records of (\d+) B/.exec(text)?.[1], 'event size'),
  };
}

function sinks(text: string): Values {
  const t = rows(text);
  const ingest = /Ingest rate while queuing: ([\d,]+) findings\/s\. Outbox at the end: ([\d,]+) rows, ([\d.]+) MiB/.exec(text);
  if (!ingest) throw new Error('legacy output: sinks printed no ingest/outbox line');
  // Memory samples: rows whose first cell is the queued count.
  const samples = [...t].filter(([k]) => /^[\d,]+$/.test(k)).map(([, v]) => ({ rss: num(v[0], 'RSS sample'), heap: num(v[1], 'heap sample') }));
  if (samples.length === 0) throw new Error('legacy output: sinks printed no memory samples');
  return {
    parseLookup: get(t, 'baseline: JSON.parse + Map lookup/update', 0),
    routing: get(t, 'routing only (4 routes, compiled matchers)', 0),
    dedupMemory: get(t, 'JSON.parse + routing + dedup/aggregation (SQLite :memory:)', 0),
    dedupDurable: get(t, 'JSON.parse + routing + dedup/aggregation (SQLite file, WAL, synchronous=FULL)', 0),
    queueIngest: num(ingest[1], 'ingest rate'),
    queued: num(ingest[2], 'queued'),
    outbox: num(ingest[3], 'outbox size'),
    heapFirst: samples[0]!.heap,
    heapMax: Math.max(...samples.map((s) => s.heap)),
    rssFirst: samples[0]!.rss,
    rssMax: Math.max(...samples.map((s) => s.rss)),
  };
}

const PARSERS: Record<string, (text: string) => Values> = { 'bus-embedded': busEmbedded, 'bus-kafka': busKafka, rekor, tlog, audit, sinks };

export function parseLegacy(bench: string, text: string): Values {
  const parse = PARSERS[bench];
  if (!parse) throw new Error(`no legacy parser for bench '${bench}'`);
  return parse(text);
}
