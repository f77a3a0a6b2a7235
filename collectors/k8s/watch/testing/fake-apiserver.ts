import { webcrypto } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import 'reflect-metadata'; // before @peculiar/x509 (tsyringe needs it)
import * as px from '@peculiar/x509';
import type { WorkloadKind } from '../../../../core/index.js';
import { resourcePath } from '../kube.js';

/**
 * A small in-process stand-in for the list and watch endpoints of a kube-apiserver, for unit tests
 * that drive the REAL client library (KubeConfig, typed list APIs, Watch) through edge cases that
 * are slow to provoke on the real server: 410 on a compacted resourceVersion (both as HTTP 410 and
 * as an ERROR event in a 200 stream), bookmarks, a server that drops every stream. Behaviour is
 * the API server's: one global resourceVersion counter, lists at the current one, watches replay
 * every change after the requested one. The real server is exercised in test/k8s-watch.test.ts.
 */
type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
interface Logged {
  rv: number;
  kind: WorkloadKind;
  type: EventType;
  object: Record<string, unknown>;
}

export class FakeApiServer {
  private server: Server | undefined;
  private rv = 100;
  private compactedBelow = 0;
  private readonly log: Logged[] = [];
  private readonly objects = new Map<string, Record<string, unknown>>();
  private readonly streams = new Set<{ kind: WorkloadKind; ns: string | undefined; res: ServerResponse }>();
  /** Answer a too-old watch with HTTP 410 instead of an ERROR event. */
  gone410AsStatus = false;
  /** Accept list requests and never answer them (an API server that hangs). */
  hangLists = false;
  /** List requests held open by hangLists that the client has not closed yet. */
  hungLists = 0;
  lists = 0;
  watches = 0;
  url = '';

  /** PEM of the self-signed serving certificate (for the client's caFile). */
  caPem = '';

  async start(): Promise<void> {
    const { cert, key } = await selfSigned();
    this.caPem = cert;
    this.server = createServer({ cert, key }, (req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.dropStreams();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  /** Watch streams open now. */
  get openWatches(): number {
    return this.streams.size;
  }

  /** Ends every open watch (an API-server restart as the client sees it). */
  dropStreams(): void {
    for (const s of this.streams) s.res.destroy();
    this.streams.clear();
  }

  /** Forgets history: a watch from before now gets 410. */
  compact(): void {
    this.compactedBelow = this.rv;
  }

  bookmark(): void {
    for (const s of this.streams) s.res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(this.rv) } } })}\n`);
  }

  apply(kind: WorkloadKind, ns: string, name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const key = `${kind}/${ns}/${name}`;
    const prev = this.objects.get(key);
    const meta = (prev?.metadata as Record<string, unknown> | undefined) ?? {
      name,
      namespace: ns,
      uid: `uid-${name}-${this.rv}`,
      creationTimestamp: '2026-01-01T00:00:00Z',
    };
    const obj = {
      kind,
      metadata: { ...meta, resourceVersion: String(++this.rv), ...(extra.metadata as object) },
      spec,
      ...(extra.status ? { status: extra.status } : {}),
    };
    this.objects.set(key, obj);
    this.emit({ rv: this.rv, kind, type: prev ? 'MODIFIED' : 'ADDED', object: obj });
    return obj;
  }

  remove(kind: WorkloadKind, ns: string, name: string): void {
    const key = `${kind}/${ns}/${name}`;
    const obj = this.objects.get(key);
    if (!obj) return;
    this.objects.delete(key);
    const gone = { ...obj, metadata: { ...(obj.metadata as object), resourceVersion: String(++this.rv) } };
    this.emit({ rv: this.rv, kind, type: 'DELETED', object: gone });
  }

  private emit(e: Logged): void {
    this.log.push(e);
    for (const s of this.streams) if (s.kind === e.kind && (s.ns === undefined || s.ns === nsOf(e.object))) write(s.res, e);
  }

  private route(path: string): { kind: WorkloadKind; ns: string | undefined } | undefined {
    const kinds: WorkloadKind[] = ['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
    for (const kind of kinds) {
      if (path === resourcePath(kind, undefined)) return { kind, ns: undefined };
      const m = /\/namespaces\/([^/]+)\//.exec(path);
      if (m && path === resourcePath(kind, decodeURIComponent(m[1]!))) return { kind, ns: decodeURIComponent(m[1]!) };
    }
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', this.url);
    const r = this.route(u.pathname);
    if (req.headers.authorization !== 'Bearer test-token') return void res.writeHead(401).end();
    if (!r) return void res.writeHead(404).end();
    if (u.searchParams.get('watch') !== 'true') {
      this.lists++;
      if (this.hangLists) {
        this.hungLists++;
        res.on('close', () => this.hungLists--);
        return;
      }
      const items = [...this.objects.values()].filter((o) => o.kind === r.kind && (r.ns === undefined || nsOf(o) === r.ns));
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ kind: `${r.kind}List`, apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items }));
    }
    this.watches++;
    const from = Number(u.searchParams.get('resourceVersion') ?? '0');
    if (from < this.compactedBelow) {
      const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' };
      if (this.gone410AsStatus) return void res.writeHead(410, { 'content-type': 'application/json' }).end(JSON.stringify(status));
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    for (const e of this.log) if (e.rv > from && e.kind === r.kind && (r.ns === undefined || nsOf(e.object) === r.ns)) write(res, e);
    const s = { kind: r.kind, ns: r.ns, res };
    this.streams.add(s);
    res.on('close', () => this.streams.delete(s));
  }
}

/** A throw-away self-signed P-256 certificate for 127.0.0.1, made at start (nothing stored). */
async function selfSigned(): Promise<{ cert: string; key: string }> {
  px.cryptoProvider.set(webcrypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const c = await px.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=fake-apiserver',
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new px.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]), new px.BasicConstraintsExtension(true, undefined, true)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return { cert: c.toString('pem'), key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n` };
}

function nsOf(o: Record<string, unknown>): string {
  return (o.metadata as { namespace: string }).namespace;
}

function write(res: ServerResponse, e: Logged): void {
  res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
}

/** A pod spec with the given images (container names c0, c1, ...). */
export function podSpec(...images: string[]): Record<string, unknown> {
  return { containers: images.map((image, i) => ({ name: `c${i}`, image })) };
}

/** A Deployment spec whose template runs the given images. */
export function deploymentSpec(...images: string[]): Record<string, unknown> {
  return { replicas: 1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: podSpec(...images) } };
}
