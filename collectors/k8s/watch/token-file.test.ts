import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { k8sWatchConfigSchema, KubeApi, kubeConfigOf, K8sWatchError } from './index.js';
import { FakeApiServer } from './testing/fake-apiserver.js';

/**
 * `tokenFile` (a projected ServiceAccount token, which the kubelet rotates): the client re-reads
 * the file once its copy is over a minute old, through the real @kubernetes/client-node against
 * the in-process API endpoint, which accepts only `Bearer test-token`.
 */
const dirs: string[] = [];
const servers: FakeApiServer[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setup() {
  const server = new FakeApiServer();
  await server.start();
  servers.push(server);
  const dir = mkdtempSync(join(tmpdir(), 'cw-k8s-tokenfile-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'ca.crt'), server.caPem);
  return { server, dir, tokenFile: join(dir, 'token'), caFile: join(dir, 'ca.crt') };
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: unknown) => (err instanceof K8sWatchError ? err.code : String(err)),
  );

describe('collectors.k8s tokenFile', () => {
  it('authenticates with the file and picks up a rotated token on a later request', async () => {
    const { server, tokenFile, caFile } = await setup();
    writeFileSync(tokenFile, 'test-token');
    const cfg = k8sWatchConfigSchema.parse({ clusters: [{ name: 'c', server: server.url, tokenFile, caFile }] });
    const api = new KubeApi('c', kubeConfigOf(cfg.clusters[0]!));
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });

    expect(await codeOf(api.list('Pod', undefined, 10, undefined, new AbortController().signal))).toBe('ok');
    // Rotated to a token the server does not accept: used once the client's copy is stale.
    writeFileSync(tokenFile, 'rotated-elsewhere');
    vi.setSystemTime(Date.now() + 61_000);
    expect(await codeOf(api.list('Pod', undefined, 10, undefined, new AbortController().signal))).toBe('K8S_UNAUTHORIZED');
    // And back: the file, not the first value read, decides.
    writeFileSync(tokenFile, 'test-token');
    vi.setSystemTime(Date.now() + 61_000);
    expect(await codeOf(api.list('Pod', undefined, 10, undefined, new AbortController().signal))).toBe('ok');
    // Served twice: the refused request never got past authentication.
    expect(server.lists).toBe(2);
  });

  it('refuses token together with tokenFile, and credentials next to a kubeconfig', () => {
    const paths = (input: object) => {
      const r = k8sWatchConfigSchema.safeParse({ clusters: [input] });
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    expect(paths({ name: 'c', server: 'https://k:6443', token: 't', tokenFile: '/t', caFile: '/ca' })).toEqual(['clusters.0.tokenFile']);
    expect(paths({ name: 'c', kubeconfig: '/kc', tokenFile: '/t' })).toEqual(['clusters.0.kubeconfig']);
    expect(paths({ name: 'c', server: 'https://k:6443', tokenFile: '/t', caFile: '/ca' })).toEqual([]);
  });
});
