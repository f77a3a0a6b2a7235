import { join } from 'node:path';
import type { Logger } from '../../core/index.js';
import type { AuditBackendConfig } from './config.js';
import { OpenSearchAuditStore } from './search/store.js';
import type { SearchRequest, SearchResponse, SearchTransport, SearchTransportOptions } from './search/transport.js';
import type { AuditStore } from './port.js';
import { SqliteAuditStore } from './sqlite.js';

/** Builds (does not open) the configured store. Shared by the daemon and the CLI. */
/** `create: false` (read-only CLI commands): a SQLite file that does not exist is AUDIT_STORE_NOT_FOUND, never created. */
export function createAuditStore(backend: AuditBackendConfig, deps: { dataDir: string; logger?: Logger; replicas?: number; create?: boolean }): AuditStore {
  switch (backend.kind) {
    case 'sqlite':
      return new SqliteAuditStore({ path: backend.path ?? auditStorePath(deps.dataDir), create: deps.create ?? true });
    case 'opensearch': {
      const opts = {
        url: backend.url,
        requestTimeoutMs: backend.requestTimeout,
        ...(backend.username ? { username: backend.username } : {}),
        ...(backend.password ? { password: backend.password } : {}),
      };
      const transport = new LazyTransport(backend.client, opts);
      return new OpenSearchAuditStore({
        transport,
        indexPrefix: backend.indexPrefix,
        ...(deps.replicas !== undefined ? { replicas: deps.replicas } : {}),
        ...(backend.retention ? { retentionMs: backend.retention } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
        ...(deps.create !== undefined ? { create: deps.create } : {}),
      });
    }
  }
}

/** The audit data directory (checkpoint key, SQLite file) under the daemon's data dir. */
export const auditDir = (dataDir: string): string => join(dataDir, 'audit');
/** The default SQLite trail: `<dataDir>/audit/audit.db`. */
export const auditStorePath = (dataDir: string): string => join(auditDir(dataDir), 'audit.db');

/**
 * Loads the search-engine client (tens of MB of modules) on the first request, so a daemon on the
 * default SQLite backend never pays for it in memory or start-up time.
 */
class LazyTransport implements SearchTransport {
  #inner: Promise<SearchTransport> | undefined;
  constructor(
    readonly client: 'opensearch' | 'elasticsearch',
    private readonly opts: SearchTransportOptions,
  ) {}
  #load(): Promise<SearchTransport> {
    this.#inner ??=
      this.client === 'elasticsearch'
        ? import('./search/elasticsearch-js.js').then((m) => new m.ElasticsearchJs(this.opts))
        : import('./search/opensearch-js.js').then((m) => new m.OpenSearchJs(this.opts));
    return this.#inner;
  }
  async request<T = unknown>(req: SearchRequest): Promise<SearchResponse<T>> {
    return (await this.#load()).request<T>(req);
  }
  async close(): Promise<void> {
    if (this.#inner) await (await this.#inner).close();
  }
}
