import { type CommandSpec, EXIT, HttpClient, UsageError, parseDuration, withRetry } from '../../../core/index.js';

/**
 * `chainwatch wait-ready`: block until a daemon's /readyz answers 200, so scripts (and the README
 * tour) can start the daemon in the background and go on only once it is ready, instead of a bare
 * `curl /readyz` that prints nothing while the first start is still setting up (~30 s).
 * Polling goes through core/retry.ts: every failure (connection refused, 503 not ready) is retried
 * until the deadline.
 */
const DEFAULT_URL = 'http://127.0.0.1:8080/readyz';
const DEFAULT_TIMEOUT_MS = 120_000;

/** "30" (seconds) or a duration ("500ms", "30s", "2m"). */
function timeoutMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = /^\d+(\.\d+)?$/.test(text) ? Math.round(Number(text) * 1000) : parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--timeout must be seconds (e.g. 60) or a duration (e.g. 90s), got '${text}'`);
  return ms;
}

function readyUrl(text: string | undefined): string {
  if (text === undefined) return DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http(s) URL, got '${text}'`);
  // A bare base URL ("http://127.0.0.1:9000") means its /readyz.
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/readyz';
  return url.toString();
}

export const waitReadyCommand: CommandSpec = {
  name: 'wait-ready',
  summary: "Wait until a running daemon's /readyz says ready",
  description: `Exit codes: 0 ready, 1 not ready before the timeout.
Example: bash scripts/start.sh & node bin/chainwatch.js wait-ready --timeout 120`,
  options: {
    url: { type: 'string', placeholder: 'URL', description: `the daemon's readiness URL or base URL (default ${DEFAULT_URL})` },
    timeout: { type: 'string', placeholder: 'S', description: 'give up after S seconds or a duration like 90s (default 120)' },
  },
  async run(inv) {
    const url = readyUrl(inv.options.url as string | undefined);
    const deadlineMs = timeoutMs(inv.options.timeout as string | undefined);
    const peer = new URL(url).origin;
    const client = new HttpClient({ peer, timeoutMs: Math.min(5_000, deadlineMs), maxBodyBytes: 64 * 1024 });
    const started = Date.now();
    try {
      await withRetry(() => client.request({ url }), {
        maxAttempts: Infinity,
        baseDelayMs: 250,
        maxDelayMs: 1_000,
        deadlineMs,
        // Refused connections and 503 are both "not yet": keep polling until the deadline.
        isRetriable: () => true,
      });
    } catch (err) {
      const why = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      inv.io.err(`chainwatch wait-ready: ${peer} not ready after ${Math.round((Date.now() - started) / 1000)}s (${why})`);
      return EXIT.failed;
    }
    inv.io.out(`ready: ${peer} after ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return EXIT.ok;
  },
};
