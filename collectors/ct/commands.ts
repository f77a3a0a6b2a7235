import { readFileSync } from 'node:fs';
import {
  type CommandSpec,
  type ComponentContext,
  describeError,
  EXIT,
  type Invocation,
  noopMetrics,
  numberOption,
  safeUrl,
  silentLogger,
  UsageError,
} from '../../core/index.js';
import { createCtCollector, ctStateKey } from './collector.js';
import type { CtLogConfig } from './config.js';
import { CtError } from './errors.js';
import type { CtCursor } from './follower.js';
import { parseLogList } from './loglist.js';
import { type CtSection, logsOf } from './section.js';

/**
 * `chainwatch ct logs` and `chainwatch ct backfill`: the CT collector's operator commands. Both read
 * the daemon's config and open its state store beside a running daemon (the embedded bus is SQLite
 * in WAL mode; Kafka keeps cursors in <dataDir>/state.db).
 */

/** The durable-state key of one backfill: its own cursor, never the live one (ctStateKey). */
export const ctBackfillStateKey = (c: { vantage: string; url: string }, from: number, to: number): string =>
  `ct:backfill:${c.vantage}:${safeUrl(c.url)}:${from}-${to}:cursor`;

interface LogRow {
  url: string;
  api: CtLogConfig['api'];
  description: string | null;
  vantage: string;
  /** "configured" for collectors.ct.logs, else the log list state (usable, qualified, ...). */
  state: string;
  verified: number | null;
  fetched: number | null;
  treeSize: number | null;
  lag: number | null;
}

function listedStates(section: CtSection | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!section?.logList) return out;
  // logsOf already refused an unreadable list (CT_LOGLIST_INVALID) before this runs.
  for (const l of parseLogList(JSON.parse(readFileSync(section.logList.path, 'utf8')))) out.set(safeUrl(l.url), l.state);
  return out;
}

async function withState<T>(
  inv: Invocation<CtSection | undefined>,
  fn: (ctx: { bus: Awaited<ReturnType<Invocation['openBus']>>; state: ReturnType<Invocation['openState']> }) => Promise<T>,
): Promise<T> {
  const bus = await inv.openBus();
  try {
    const state = inv.openState(bus);
    try {
      return await fn({ bus, state });
    } finally {
      state.close();
    }
  } finally {
    await bus.stop();
  }
}

export const ctLogsCommand: CommandSpec<CtSection | undefined> = {
  name: 'ct logs',
  summary: 'List the followed CT logs: list state, verified position, tree size of the last verified head, lag',
  json: true,
  config: true,
  description: `Tree size is that of the newest tree head the collector verified (moved every poll while the
daemon runs); lag is tree size minus the verified position. See docs/ct.md.`,
  async run(inv) {
    const section = inv.section ?? { logs: [] };
    const logs = logsOf(section);
    const states = listedStates(section);
    const direct = new Set(section.logs.map((l) => safeUrl(l.url)));
    const rows: LogRow[] = await withState(inv, async ({ state }) =>
      Promise.all(
        logs.map(async (log) => {
          const c = await state.get<CtCursor>(ctStateKey(log));
          const treeSize = c?.head?.size ?? null;
          return {
            url: safeUrl(log.url),
            api: log.api,
            description: log.description ?? null,
            vantage: log.vantage,
            state: direct.has(safeUrl(log.url)) ? 'configured' : (states.get(safeUrl(log.url)) ?? 'unknown'),
            verified: c?.verified ?? null,
            fetched: c?.fetched ?? null,
            treeSize,
            lag: treeSize !== null && c ? Math.max(0, treeSize - c.verified) : null,
          };
        }),
      ),
    );
    if (inv.json) {
      inv.io.out(JSON.stringify({ logs: rows }));
      return EXIT.ok;
    }
    if (rows.length === 0) {
      inv.io.out('no CT logs configured (collectors.ct)');
      return EXIT.ok;
    }
    const n = (v: number | null): string => (v === null ? '-' : String(v));
    inv.io.out(['STATE'.padEnd(11), 'API'.padEnd(8), 'VERIFIED'.padStart(10), 'TREE SIZE'.padStart(10), 'LAG'.padStart(8), ' LOG'].join(' '));
    for (const r of rows) {
      inv.io.out(
        [
          r.state.padEnd(11),
          r.api.padEnd(8),
          n(r.verified).padStart(10),
          n(r.treeSize).padStart(10),
          n(r.lag).padStart(8),
          ` ${r.description ?? r.url} (${r.url})`,
        ].join(' '),
      );
    }
    return EXIT.ok;
  },
};

function findLog(logs: CtLogConfig[], which: string): CtLogConfig {
  const want = which.replace(/\/+$/, '');
  const hits = logs.filter((l) => safeUrl(l.url).replace(/\/+$/, '') === want || l.logId === which || l.description === which);
  if (hits.length === 1) return hits[0]!;
  throw new UsageError(
    `LOG must name one followed log by URL, log ID or description; ${JSON.stringify(which)} matches ${hits.length} (see chainwatch ct logs)`,
  );
}

export const ctBackfillCommand: CommandSpec<CtSection | undefined> = {
  name: 'ct backfill',
  summary: 'Re-scan a range of a CT log (after the watch rules changed) with its own cursor; the live position is not touched',
  args: [{ name: 'LOG', description: 'a followed log: its URL, log ID or description (chainwatch ct logs)' }],
  options: {
    from: { type: 'string', placeholder: 'N', description: 'first index to re-scan' },
    to: { type: 'string', placeholder: 'M', description: 'end of the range, exclusive (default: the live verified position)' },
  },
  json: true,
  config: true,
  description: `Every entry of [N, M) is downloaded and audited against a signed tree head exactly as the
live collector does (full audit before anything is published), then published on chainwatch.ct with
its usual id, so the detectors and the audit trail take it the same way; ct-watch reports only
certificates it has not reported before. The backfill's own cursor is durable: running the same
command again resumes where it stopped. Exit 0 done, 2 usage, 3 aborted (the log failed; rerun to
resume).`,
  async run(inv) {
    const logs = logsOf(inv.section ?? { logs: [] });
    const log = findLog(logs, inv.args[0]!);
    const from = numberOption(inv.options, 'from', { integer: true, zero: true });
    if (from === undefined) throw new UsageError('--from N is required (a log index, 0 or more)');
    return withState(inv, async ({ bus, state }) => {
      const live = await state.get<CtCursor>(ctStateKey(log));
      const to = numberOption(inv.options, 'to', { integer: true, zero: true }) ?? live?.verified;
      if (to === undefined) throw new UsageError('--to M is required: the log has no live position yet');
      if (to <= from) throw new UsageError(`--to (${to}) must be above --from (${from})`);
      const stateKey = ctBackfillStateKey(log, from, to);
      const ctx: ComponentContext = {
        bus,
        state,
        logger: silentLogger,
        metrics: noopMetrics,
        dataDir: inv.daemon!.dataDir,
        keys: inv.keys,
        fail: (err) => {
          throw err;
        },
        now: inv.now,
      };
      const c = createCtCollector({ ...log, start: { index: from } }, ctx, { stateKey, end: to });
      const before = ((await state.get<CtCursor>(stateKey))?.verified ?? from) - from;
      let done = before;
      let stalled = 0;
      while (done < to - from) {
        try {
          await c.roundOnce();
        } catch (err) {
          return aborted(inv, log, from, to, done, err);
        }
        const now = Math.min(to, c.cursor()?.verified ?? from) - from;
        // A log whose signed tree does not (yet) reach --to makes no progress: stop, do not spin.
        stalled = now === done ? stalled + 1 : 0;
        if (stalled >= 3) return aborted(inv, log, from, to, done, new CtError('CT_BACKFILL_STALLED', `the log's verified tree does not reach index ${to}`));
        done = now;
        if (!inv.json) inv.io.err(`backfill ${safeUrl(log.url)}: ${from + done}/${to}`);
      }
      const result = { log: safeUrl(log.url), from, to, scanned: done - before, resumedAt: from + before, done: true };
      inv.io.out(inv.json ? JSON.stringify(result) : `backfill of ${result.log} [${from}, ${to}) done: ${result.scanned} entries audited and published`);
      return EXIT.ok;
    });
  },
};

function aborted(inv: Invocation<unknown>, log: CtLogConfig, from: number, to: number, done: number, err: unknown): number {
  const { code } = describeError(err);
  if (inv.json) inv.io.out(JSON.stringify({ log: safeUrl(log.url), from, to, verified: from + done, done: false, code }));
  inv.io.err(`backfill ${safeUrl(log.url)} aborted at ${from + done} of [${from}, ${to}): ${code}; run it again to resume`);
  return EXIT.aborted;
}
