import { join } from 'node:path';
import type { Logger } from '../../core/index.js';
import type { AuditBackendConfig } from './config.js';
import { ElasticsearchJs } from './opensearch/elasticsearch-js.js';
import { OpenSearchJs } from './opensearch/opensearch-js.js';
import { OpenSearchAuditStore } from './opensearch/store.js';
import type { AuditStore } from './port.js';
import { SqliteAuditStore } from './sqlite.js';

/** Builds (does not open) the configured store. Shared by the daemon and the CLI. */
export function createAuditStore(backend: AuditBackendConfig, deps: { dataDir: string; logger?: Logger; replicas?: number }): AuditStore {
  switch (backend.kind) {
    case 'sqlite':
      return new SqliteAuditStore({ path: backend.path ?? join(deps.dataDir, 'audit', 'audit.db') });
    case 'opensearch': {
      const opts = {
        url: backend.url,
        requestTimeoutMs: backend.requestTimeoutMs,
        ...(backend.username ? { username: backend.username } : {}),
        ...(backend.password ? { password: backend.password } : {}),
      };
      const transport = backend.client === 'elasticsearch' ? new ElasticsearchJs(opts) : new OpenSearchJs(opts);
      return new OpenSearchAuditStore({
        transport,
        indexPrefix: backend.indexPrefix,
        ...(deps.replicas !== undefined ? { replicas: deps.replicas } : {}),
        ...(backend.retentionDays ? { retentionDays: backend.retentionDays } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
      });
    }
  }
}

/** The audit data directory (checkpoint key, SQLite file) under the daemon's data dir. */
export const auditDir = (dataDir: string): string => join(dataDir, 'audit');
