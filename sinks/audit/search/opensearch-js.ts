import { Client } from '@opensearch-project/opensearch';
import {
  networkError,
  PASS_THROUGH_STATUSES,
  type SearchRequest,
  type SearchResponse,
  type SearchTransport,
  type SearchTransportOptions,
} from './transport.js';

/** SearchTransport over the official OpenSearch client's transport. */
export class OpenSearchJs implements SearchTransport {
  readonly client = 'opensearch' as const;
  readonly #client: Client;

  constructor(opts: SearchTransportOptions) {
    this.#client = new Client({
      node: opts.url,
      maxRetries: 0,
      requestTimeout: opts.requestTimeoutMs ?? 30_000,
      ...(opts.username && opts.password ? { auth: { username: opts.username, password: opts.password.reveal() } } : {}),
    });
  }

  async request<T>(req: SearchRequest): Promise<SearchResponse<T>> {
    try {
      const res = await this.#client.transport.request(
        {
          method: req.method,
          path: req.path,
          ...(req.querystring ? { querystring: req.querystring } : {}),
          ...(req.body !== undefined ? { body: req.body as Record<string, unknown> } : {}),
          ...(req.bulkBody ? { bulkBody: req.bulkBody as Record<string, unknown>[] } : {}),
        },
        { ignore: PASS_THROUGH_STATUSES },
      );
      return { status: res.statusCode ?? 0, body: res.body as T };
    } catch (err) {
      return networkError(err, `opensearch ${req.method} ${req.path.split('?')[0]}`);
    }
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
