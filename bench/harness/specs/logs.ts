/** Transparency logs: Rekor (offline and live), tlog proofs, CT following and the CT watchlist. */
import type { BenchSpec } from '../spec.js';

export const rekor: BenchSpec = {
  name: 'rekor',
  title: 'Rekor entry verification',
  order: 3,
  page: 'benchmarks-rekor.md',
  args: ['--seconds', '5'],
  nodeArgs: [],
  services: [],
  measurements: {
    entries: { label: 'fully verified Rekor v1 entries (verifyV1Entry), one core', unit: 'entries/CPU-s' },
    ecdsa: { label: 'ECDSA P-256 verifies of the same SETs: the crypto bound at 1 signature check per entry', unit: 'verifies/CPU-s' },
    pairedRatio: { label: 'entries / crypto bound, median over paired back-to-back rounds', unit: 'ratio' },
    ratioOfTotals: { label: 'entries / crypto bound over the totals', unit: 'ratio' },
  },
  figures: [
    {
      id: 'verified-entries',
      label: 'fully verified entries per CPU-second, one core',
      value: 'entries',
      baseline: 'ecdsa',
      ratio: { measurement: 'pairedRatio', method: 'median of paired back-to-back rounds (bound, then full path)' },
      better: 'higher',
      checks: [{ of: 'ratio', op: '>=', bound: 0.7 }],
    },
  ],
};

export const rekorLive: BenchSpec = {
  name: 'rekor-live',
  title: 'Rekor live path (real rekor-server)',
  order: 3,
  page: 'benchmarks-rekor.md',
  args: ['--entries', '3000', '--rounds', '3'],
  nodeArgs: [],
  services: ['rekor'],
  measurements: {
    entries: { label: 'entries in the real log, all followed from index 0 each round', unit: 'count' },
    liveCpu: { label: 'CPU per entry of the collector catching up: fetch, verify, publish onto the embedded bus, cursor', unit: 'µs' },
    offlineCpu: { label: 'CPU per entry of verifyV1Entry alone on the same entries (offline verification cost)', unit: 'µs' },
    liveRate: { label: 'entries/s of the catch-up, rate limit lifted (median of rounds)', unit: 'entries/s' },
    pairedRatio: { label: 'live CPU per entry / offline CPU per entry, median over interleaved rounds', unit: 'ratio' },
    // The rekor-monitor side is left out (and these with it) when its round binary is absent.
    monitorRate: {
      label:
        'sigstore/rekor-monitor catching up the same log from index 0: its own V1 loop (checkpoint signature, identity search), rate limit none (median of rounds)',
      unit: 'entries/s',
    },
    monitorCpu: { label: 'rekor-monitor CPU per entry (its process, all threads, the loop only)', unit: 'µs' },
    monitorServerCpu: {
      label: 'CPU per entry of rekor-server + Trillian + MariaDB while rekor-monitor catches up (what any client waits for)',
      unit: 'µs',
    },
    monitorRateRatio: { label: 'chainwatch entries/s / rekor-monitor entries/s, median over interleaved rounds', unit: 'ratio' },
    monitorCpuRatio: { label: 'chainwatch CPU per entry / rekor-monitor CPU per entry, median over interleaved rounds', unit: 'ratio' },
  },
  figures: [
    {
      id: 'live-cpu',
      label: 'live CPU per entry against the offline verification cost',
      value: 'liveCpu',
      baseline: 'offlineCpu',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds (offline, then live) of live / offline CPU per entry' },
      better: 'lower',
      checks: [{ of: 'ratio', op: '<=', bound: 2 }],
      tolerance: 0.15,
    },
    {
      id: 'vs-rekor-monitor',
      label: 'catch-up rate against sigstore/rekor-monitor on the same log',
      value: 'liveRate',
      baseline: 'monitorRate',
      ratio: { measurement: 'monitorRateRatio', method: 'median over interleaved rounds (offline, rekor-monitor, chainwatch) of the entries/s ratio' },
      better: 'higher',
      checks: [{ of: 'ratio', op: '>=', bound: 3 }],
      tolerance: 0.3,
    },
    {
      // No target: chainwatch verifies an inclusion proof and a SET per entry, rekor-monitor neither.
      id: 'cpu-vs-rekor-monitor',
      label: 'CPU per entry against sigstore/rekor-monitor on the same log',
      value: 'liveCpu',
      baseline: 'monitorCpu',
      ratio: { measurement: 'monitorCpuRatio', method: 'median over interleaved rounds of chainwatch / rekor-monitor CPU per entry' },
      better: 'lower',
      tolerance: 0.3,
    },
  ],
};

export const tlog: BenchSpec = {
  name: 'tlog',
  title: 'Transparency-log hashing',
  order: 4,
  page: 'benchmarks-tlog.md',
  args: [],
  nodeArgs: [],
  services: [],
  measurements: {
    compactRange: { label: 'CompactRange append (amortised) + root per 1024 leaves', unit: 'leaves/s' },
    verifyInclusion: { label: 'verifyInclusion, tree of ~2^20, 20 hashes', unit: 'verifies/s' },
    sha256OneShot: { label: 'raw SHA-256 of 65 B, crypto.hash one-shot', unit: 'hashes/s' },
    sha256CreateHash: { label: 'raw SHA-256 of 65 B, createHash', unit: 'hashes/s' },
    ecdsaVerify: { label: 'ECDSA P-256 verify (node:crypto)', unit: 'verifies/s' },
  },
  // Wall-clock rates measured one after the other (not interleaved): noisier than CPU-time ratios.
  figures: [
    { id: 'compact-range', label: 'CompactRange append + root', value: 'compactRange', baseline: 'sha256OneShot', better: 'higher', tolerance: 0.25 },
    {
      id: 'verify-inclusion',
      label: 'inclusion proof verify, 20 hashes',
      value: 'verifyInclusion',
      baseline: 'sha256OneShot',
      better: 'higher',
      tolerance: 0.25,
    },
  ],
};

export const ct: BenchSpec = {
  name: 'ct',
  title: 'CT collector catch-up vs certspotter (real ct_server)',
  order: 13,
  page: 'ct.md',
  args: ['--entries', '200000', '--rounds', '3'],
  nodeArgs: [],
  services: ['ctlog'],
  measurements: {
    entries: { label: 'entries in the real RFC 6962 log (distinct certificates), each round follows all from index 0', unit: 'count' },
    addChainRate: { label: 'backlog: add-chain through ct_server, 32 in flight, until in the signed tree (first 2,000)', unit: 'entries/s' },
    queueRate: { label: 'backlog: ctlog.sh fill (tools/ct-fill: QueueLeaf to Trillian, 64 in flight), until in the signed tree', unit: 'entries/s' },
    rawRate: { label: 'raw get-entries reader (bodies read, nothing parsed), same batch and concurrency (median of rounds)', unit: 'entries/s' },
    chainwatchRate: {
      label: 'chainwatch run (dist/, child process): download, full audit, parse, durable publish on the embedded bus (median of rounds)',
      unit: 'entries/s',
    },
    certspotterRate: { label: 'certspotter 0.16 (Debian), GOMAXPROCS=1, same log and backlog (median of rounds)', unit: 'entries/s' },
    pairedRatio: { label: 'chainwatch entries/s / certspotter entries/s, median over interleaved rounds', unit: 'ratio' },
    certspotterOfRaw: { label: 'certspotter entries/s / raw reader entries/s, median over interleaved rounds', unit: 'ratio' },
    chainwatchCpu: { label: 'chainwatch CPU per entry (the daemon process, from spawn)', unit: 'µs' },
    certspotterCpu: { label: 'certspotter CPU per entry (its process)', unit: 'µs' },
    peakRss: { label: 'chainwatch peak RSS (VmHWM of the daemon process) during the catch-up', unit: 'MiB' },
    peakHeap: { label: 'of which V8 heap in use (max of /metrics samples every 250 ms)', unit: 'MiB' },
    peakExternal: { label: 'of which external memory (Buffers) (max of samples)', unit: 'MiB' },
    peakYoung: { label: 'of which young generation (new space) reserved (max of samples)', unit: 'MiB' },
    certspotterRss: { label: 'certspotter peak RSS (VmHWM)', unit: 'MiB' },
    semiRss: {
      label:
        "chainwatch peak RSS, one more catch-up with NODE_OPTIONS=--max-semi-space-size=N (64 by default: V8's own maximum, the daemon without the launcher's cap of 8)",
      unit: 'MiB',
    },
    semiCpu: { label: 'chainwatch CPU per entry in that catch-up', unit: 'µs' },
    rawCpu: { label: 'raw reader CPU per entry (fetch + body read, in the bench process)', unit: 'µs' },
    backfillWall: { label: 'chainwatch ct backfill: wall time per 100,000 entries (its own process, from spawn)', unit: 's' },
    backfillCpu: { label: 'chainwatch ct backfill: CPU time per 100,000 entries', unit: 's' },
    backfillRss: { label: 'chainwatch ct backfill: peak RSS of its process', unit: 'MiB' },
  },
  figures: [
    {
      id: 'catch-up',
      label: 'catch-up rate against certspotter on the same log',
      value: 'chainwatchRate',
      baseline: 'certspotterRate',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds (raw reader, certspotter, then chainwatch) of the entries/s ratio' },
      better: 'higher',
      checks: [{ of: 'ratio', op: '>=', bound: 2 }],
      tolerance: 0.3,
    },
    {
      id: 'catch-up-ceiling',
      label: "certspotter against the local log's ceiling (raw get-entries reader)",
      value: 'certspotterRate',
      baseline: 'rawRate',
      ratio: { measurement: 'certspotterOfRaw', method: 'median over interleaved rounds of certspotter entries/s / raw reader entries/s' },
      better: 'higher',
      tolerance: 0.3,
    },
    {
      id: 'catch-up-rss',
      label: 'peak RSS of the daemon while catching up the backlog',
      value: 'peakRss',
      better: 'lower',
      checks: [{ of: 'value', op: '<=', bound: 256 }],
      tolerance: 0.3,
    },
    {
      id: 'backfill-cpu',
      label: 'CPU cost of a backfill per 100,000 entries',
      value: 'backfillCpu',
      better: 'lower',
      tolerance: 0.3,
    },
  ],
};

export const ctWatch: BenchSpec = {
  name: 'ct-watch',
  title: 'CT watchlist: prefilter and certificate parsing',
  order: 8,
  page: 'certificates.md',
  args: ['--seconds', '1', '--rounds', '3'],
  nodeArgs: [],
  services: [],
  measurements: {
    prefilter: { label: 'unwatched CT entry: base64 decode + Watchlist.prefilter (median of rounds)', unit: 'entries/CPU-s' },
    parse: { label: 'watched CT entry: trust parseCertificate, strict DER check + @peculiar/x509 (median of rounds)', unit: 'entries/CPU-s' },
    pairedRatio: { label: 'prefilter rate / parse rate, median over interleaved rounds', unit: 'ratio' },
    corpus: { label: 'real certificates in the corpus (realdata x509/fulcio, ct/ct-go-testdata)', unit: 'count' },
    derBytes: { label: 'mean DER size', unit: 'B' },
  },
  // No target: docs/certificates.md quotes the ratio (how many unwatched entries cost one parsed one).
  figures: [
    {
      id: 'prefilter-vs-parse',
      label: 'an unwatched CT entry (prefilter only) vs a parsed one',
      value: 'prefilter',
      baseline: 'parse',
      ratio: { measurement: 'pairedRatio', method: 'median over interleaved rounds of prefilter entries/CPU-s / parse entries/CPU-s' },
      better: 'higher',
      tolerance: 0.3,
    },
  ],
};
