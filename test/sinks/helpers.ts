import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server whose handler the test scripts; records every request with its raw body. */
export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

export interface TestServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startServer(handle: (req: Recorded, res: ServerResponse) => number | Promise<number>): Promise<TestServer> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: 0 };
      requests.push(rec);
      Promise.resolve(handle(rec, res))
        .then((status) => {
          rec.status = status;
          if (!res.headersSent) res.writeHead(status).end();
        })
        .catch(() => {
          rec.status = 599;
          if (!res.headersSent) res.writeHead(500).end();
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A recording reverse proxy: forwards to `target`, answers 502 when the target is down. */
export async function startRecordingProxy(target: string): Promise<TestServer> {
  return startServer(async (req, res) => {
    try {
      const up = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: req.body }),
      });
      const text = await up.text();
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'text/plain' }).end(text);
      return up.status;
    } catch {
      res.writeHead(502).end('upstream down');
      return 502;
    }
  });
}
