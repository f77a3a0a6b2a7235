import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HttpError, Secret } from '../../../core/index.js';
import { ElasticsearchJs } from './elasticsearch-js.js';
import { OpenSearchJs } from './opensearch-js.js';
import type { SearchTransport, SearchTransportOptions } from './transport.js';

/**
 * The test cluster runs with security disabled, so basic auth is checked against a local server:
 * both official clients send the revealed password on the wire and nowhere else.
 */
const PASSWORD = 'search-password-3b7c';

async function withServer(fn: (url: string, seen: IncomingHttpHeaders[]) => Promise<void>): Promise<void> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(req.headers.authorization === `Basic ${Buffer.from(`chainwatch:${PASSWORD}`).toString('base64')}` ? 200 : 401, {
      'content-type': 'application/json',
    });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const clients: [string, (o: SearchTransportOptions) => SearchTransport][] = [
  ['opensearch', (o) => new OpenSearchJs(o)],
  ['elasticsearch', (o) => new ElasticsearchJs(o)],
];

describe.each(clients)('%s client basic auth', (_name, make) => {
  it('authenticates with the revealed password', async () => {
    await withServer(async (url, seen) => {
      const t = make({ url, username: 'chainwatch', password: new Secret(PASSWORD), requestTimeoutMs: 5_000 });
      const res = await t.request({ method: 'GET', path: '/' });
      await t.close();
      expect(res.status).toBe(200);
      expect(seen).toHaveLength(1);
    });
  });

  it('sends no credentials without a password, and a refusal carries no secret', async () => {
    await withServer(async (url, seen) => {
      const t = make({ url, username: 'chainwatch', requestTimeoutMs: 5_000 });
      const res = await t.request({ method: 'GET', path: '/' });
      await t.close();
      expect(res.status).toBe(401);
      expect(seen[0]!.authorization).toBeUndefined();
    });
    const t = make({ url: 'http://127.0.0.1:9', username: 'chainwatch', password: new Secret(PASSWORD), requestTimeoutMs: 2_000 });
    const err = await t.request({ method: 'GET', path: '/' }).catch((e: unknown) => e);
    await t.close();
    expect(err).toBeInstanceOf(HttpError);
    expect(JSON.stringify({ m: (err as Error).message })).not.toContain(PASSWORD);
  });
});
