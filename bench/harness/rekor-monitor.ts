/**
 * The sigstore/rekor-monitor side of the rekor-live bench: one round = one run of a small Go
 * program ("the round binary") that drives rekor-monitor's own V1 loop (internal/cmd MonitorLoop
 * with Once: checkpoint signature, then IdentitySearch over (-1, last index], then the checkpoint
 * file) against the same real log, with the log key from a PEM file. It prints one JSON line with
 * the entries searched, the seconds and the CPU µs (getrusage, all threads) of that loop only.
 *
 * The binary is not built here and nothing that builds it is in this repository: it is compiled
 * from rekor-monitor's fetched source, whose code and build recipe this project does not commit
 * (docs/benchmarks-rekor.md, "Side by side with sigstore/rekor-monitor", says what it runs). The
 * bench uses it when it is present ($CHAINWATCH_REKOR_MONITOR_BIN, else
 * $CHAINWATCH_CACHE/rekor-monitor/bin/rekor-monitor-round) and otherwise records a remark and
 * leaves the side-by-side figure out; the rest of the bench runs either way.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { procUsage } from './machine.js';
import { median } from './spec.js';

const roundOutput = z.object({ entries: z.number(), seconds: z.number().positive(), cpuUs: z.number(), failed: z.number(), matched: z.number() });

export interface MonitorRound {
  rate: number;
  /** CPU µs per entry of the round binary's loop. */
  cpu: number;
  /** CPU µs per entry of rekor-server + Trillian + MariaDB during the round, when their pids are known. */
  server?: number;
}

/** utime + stime of the Rekor service's processes in µs ($CHAINWATCH_TEST_REKOR_RUN holds their pid files). */
function serverCpu(): number | undefined {
  const run = process.env.CHAINWATCH_TEST_REKOR_RUN;
  if (!run) return undefined;
  let us = 0;
  for (const name of ['rekor', 'trillian_log_server', 'trillian_log_signer', 'mariadb'])
    us += procUsage(Number(readFileSync(join(run, `${name}.pid`), 'utf8').trim())).cpuUs;
  return us;
}

export interface RekorMonitorSide {
  round(): Promise<MonitorRound>;
  /** The measurements, given chainwatch's rounds in the same order (ratios are per round, then the median). */
  values(chainwatch: readonly { rate: number; cpu: number }[]): Record<string, number>;
}

export function roundBinary(): string {
  const cache = process.env.CHAINWATCH_CACHE ?? join(homedir(), '.cache', 'chainwatch');
  return process.env.CHAINWATCH_REKOR_MONITOR_BIN ?? join(cache, 'rekor-monitor', 'bin', 'rekor-monitor-round');
}

/**
 * The side, or a remark saying why it is skipped. `logKeyPem` is written to a file per round when
 * the service did not export one (scripts/services/rekor.sh exports CHAINWATCH_TEST_REKOR_PUBKEY).
 */
export function rekorMonitorSide(url: string, logKeyPem: string, size: number): RekorMonitorSide | { skipped: string } {
  const bin = roundBinary();
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    return {
      skipped: `side by side with rekor-monitor skipped: no round binary at ${bin} (set CHAINWATCH_REKOR_MONITOR_BIN; docs/benchmarks-rekor.md says what it is)`,
    };
  }
  const rounds: MonitorRound[] = [];
  const round = async (): Promise<MonitorRound> => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-rekor-monitor-'));
    try {
      let keyFile = process.env.CHAINWATCH_TEST_REKOR_PUBKEY;
      if (!keyFile) writeFileSync((keyFile = join(dir, 'log.pub.pem')), logKeyPem);
      // Identities that match nothing in the log (the bench's entries are one random bare key): the
      // search still decodes every entry and derives its fingerprints, as a real monitor does for
      // the entries it is not watching, without a notification per entry.
      const args = [
        '-url',
        url,
        '-pubkey',
        keyFile,
        '-state',
        dir,
        '-fingerprint',
        createHash('sha256').update('chainwatch-bench').digest('hex'),
        '-subject',
        '^nobody@example\\.invalid$',
      ];
      const s0 = serverCpu();
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(bin, args, { maxBuffer: 1 << 20 }, (err, out, errOut) =>
          err ? reject(new Error(`${bin}: ${err.message}\n${errOut.slice(-2000)}`)) : resolve(out),
        ),
      );
      const r = roundOutput.parse(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''));
      // (-1, size-1] is every entry; anything else means it followed another log or stopped short.
      if (r.entries !== size || r.failed !== 0) throw new Error(`rekor-monitor round searched ${r.entries} entries (${r.failed} failed), expected ${size}`);
      const s1 = serverCpu();
      const out = { rate: r.entries / r.seconds, cpu: r.cpuUs / r.entries, ...(s0 !== undefined && s1 !== undefined ? { server: (s1 - s0) / r.entries } : {}) };
      console.error(
        `   rekor-monitor round: ${out.rate.toFixed(1)} entries/s, ${out.cpu.toFixed(0)} µs CPU per entry${out.server === undefined ? '' : `, servers ${out.server.toFixed(0)} µs per entry`}`,
      );
      rounds.push(out);
      return out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return {
    round,
    values(chainwatch) {
      // The first rounds are warm-ups; the last chainwatch.length pair with chainwatch's rounds by position.
      const measured = rounds.slice(rounds.length - chainwatch.length);
      const ratios = measured.map((m, i) => `${(chainwatch[i]!.rate / m.rate).toFixed(2)}x rate, ${(chainwatch[i]!.cpu / m.cpu).toFixed(2)}x CPU`);
      console.error(`   chainwatch / rekor-monitor per round: ${ratios.join('; ')}`);
      const server = measured.flatMap((m) => (m.server === undefined ? [] : [m.server]));
      return {
        ...(server.length === measured.length ? { monitorServerCpu: median(server) } : {}),
        monitorRate: median(measured.map((m) => m.rate)),
        monitorCpu: median(measured.map((m) => m.cpu)),
        monitorRateRatio: median(measured.map((m, i) => chainwatch[i]!.rate / m.rate)),
        monitorCpuRatio: median(measured.map((m, i) => chainwatch[i]!.cpu / m.cpu)),
      };
    },
  };
}
