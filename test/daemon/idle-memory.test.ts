import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { built, ROOT, startDaemon } from '../helpers/daemon-process.js';

/**
 * What keeps an idle daemon small (bench/bus-embedded's idle RSS figure).
 *
 * The heavy clients of optional backends are loaded only when configured: a daemon on embedded
 * defaults must not carry them (@kubernetes/client-node alone adds ~25 MiB of heap and ~19 MiB of
 * external memory at import; bench/bus-embedded's idle RSS figure), CEL only with a policy condition. This loads the CLI the way
 * bin/chainwatch.js does, with a resolve hook listing every package it pulls in.
 */
const LIST_PACKAGES = `
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(spec, ctx, next) {
  const r = next(spec, ctx);
  const i = r.url.lastIndexOf('/node_modules/');
  if (i >= 0) { const parts = r.url.slice(i + 14).split('/'); seen.add(parts[0].startsWith('@') ? parts[0] + '/' + parts[1] : parts[0]); }
  return r;
} });
await import(process.argv[1]);
console.log(JSON.stringify([...seen]));
`;

describe.skipIf(!built())('optional backends load lazily', () => {
  it('importing the daemon loads no Kubernetes, Kafka, Elasticsearch/OpenSearch, ONNX, PKCS#11 or CEL library', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--input-type=module',
      '-e',
      LIST_PACKAGES,
      join(ROOT, 'dist', 'daemon', 'cli', 'main.js'),
    ]);
    const loaded = JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
    expect(loaded).toContain('better-sqlite3'); // the hook sees packages at all
    for (const heavy of [
      '@kubernetes/client-node',
      '@platformatic/kafka',
      '@elastic/elasticsearch',
      '@opensearch-project/opensearch',
      'onnxruntime-node',
      'pkcs11js',
      '@bufbuild/cel',
    ]) {
      expect(loaded, heavy).not.toContain(heavy);
    }
  });
});

// /proc/<pid>/cmdline: Linux only (the machines the daemon is deployed and tested on).
describe.skipIf(!built() || process.platform !== 'linux')('the daemon launcher caps the young generation', () => {
  const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

  it.each([
    ['by default, re-executed in place (same pid)', {}, '--max-semi-space-size=8'],
    ['not when NODE_OPTIONS sets its own', { NODE_OPTIONS: '--max-semi-space-size=16' }, undefined],
  ])('%s', async (_name, env: NodeJS.ProcessEnv, flag) => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-semi-'));
    const d = await startDaemon(['--data-dir', dir], env);
    try {
      const args = cmdline(d.child.pid!);
      expect(args.some((a) => a.endsWith(join('bin', 'chainwatch.js')))).toBe(true);
      expect(args.filter((a) => a.startsWith('--max-semi-space-size'))).toEqual(flag ? [flag] : []);
      expect((await fetch(`${d.url}/healthz`)).status).toBe(200); // the re-executed process is the daemon
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
