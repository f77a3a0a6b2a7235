/**
 * Runs the real `chainwatch` CLI (bin/chainwatch.js -> dist/) as a child process, the way users
 * and systemd do. Requires a build (scripts/test.sh builds first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'chainwatch.js');
/**
 * Whether the CLI is built (scripts/test.sh builds before the tests). Under CI a missing build is a
 * failure, not a reason to skip the process tests silently.
 */
export const built = (): boolean => {
  if (existsSync(join(ROOT, 'dist', 'daemon', 'cli', 'main.js'))) return true;
  if (process.env.CI === 'true') throw new Error('CI requires a build: dist/daemon/cli/main.js is missing (npm run build)');
  console.warn('SKIP: dist/ is not built (npm run build); the CLI and daemon process tests need it');
  return false;
};

export interface DaemonProcess {
  child: ChildProcess;
  port: number;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export async function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [BIN, 'run', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /listening on http:\/\/[^:]+:(\d+)/.exec(err);
    if (m) {
      const port = Number(m[1]);
      return { child, port, url: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exited };
    }
    if (child.exitCode !== null) throw new Error(`daemon exited early (${child.exitCode}): ${err}\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runCli(
  args: string[],
  input?: string | Buffer,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input ?? '');
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

export async function httpStatus(url: string): Promise<number> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

export async function metricValue(base: string, name: string, labels: Record<string, string>): Promise<number> {
  return metricSum(await (await fetch(`${base}/metrics`)).text(), name, labels);
}

/** The sum of metric `name`'s series carrying all of `labels`, in a Prometheus text exposition. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.split(' ').pop());
  }
  return total;
}

/**
 * The data of every journalled event of `type`, in journal order. A torn last line (a daemon killed
 * mid-write) is skipped: its event is redelivered and journalled again.
 */
export function journalEvents<T>(path: string, type: string): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const { event } = JSON.parse(line) as { event: { type: string; data: T } };
      if (event.type === type) out.push(event.data);
    } catch {
      // a torn last line; the event is redelivered
    }
  }
  return out;
}
