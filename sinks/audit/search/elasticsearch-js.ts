import { Client } from '@elastic/elasticsearch';
import { Transport, type TransportOptions } from '@elastic/transport';
import {
  networkError,
  PASS_THROUGH_STATUSES,
  type SearchRequest,
  type SearchResponse,
  type SearchTransport,
  type SearchTransportOptions,
} from './transport.js';

/**
 * The Elasticsearch client refuses servers that do not answer with `x-elastic-product:
 * Elasticsearch` (product check) and sends `compatible-with=9` vendored media types that
 * OpenSearch rejects with 406. This Transport drops both, which is what lets the same client
 * talk to OpenSearch (how our tests run it: Elasticsearch itself cannot run on our CI machines).
 * Against a real Elasticsearch 8/9 the plain JSON media types are accepted as well.
 */
export class PlainJsonTransport extends Transport {
  constructor(opts: TransportOptions) {
    const { vendoredHeaders: _ignored, ...rest } = opts;
    // undefined means "no product check" in @elastic/transport (it defaults to null).
    super({ ...rest, productCheck: undefined });
  }
}

/** SearchTransport over the official Elasticsearch client's transport. */
export class ElasticsearchJs implements SearchTransport {
  readonly client = 'elasticsearch' as const;
  readonly #client: Client;

  constructor(opts: SearchTransportOptions) {
    this.#client = new Client({
      node: opts.url,
      Transport: PlainJsonTransport,
      maxRetries: 0,
      requestTimeout: opts.requestTimeoutMs ?? 30_000,
      ...(opts.username && opts.password ? { auth: { username: opts.username, password: opts.password.reveal() } } : {}),
    });
  }

  async request<T>(req: SearchRequest): Promise<SearchResponse<T>> {
    try {
      const res = await this.#client.transport.request<T>(
        {
          method: req.method,
          path: req.path,
          ...(req.querystring ? { querystring: req.querystring } : {}),
          ...(req.body !== undefined ? { body: req.body as Record<string, unknown> } : {}),
          ...(req.bulkBody ? { bulkBody: req.bulkBody as Record<string, unknown>[] } : {}),
        },
        { ignore: PASS_THROUGH_STATUSES, meta: true },
      );
      return { status: res.statusCode ?? 0, body: res.body };
    } catch (err) {
      return networkError(err, `elasticsearch client ${req.method} ${req.path.split('?')[0]}`);
    }
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
