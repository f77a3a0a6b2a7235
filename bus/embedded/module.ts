import { join } from 'node:path';
import { defineBusModule } from '../../core/index.js';
import { embeddedBusConfigSchema } from './config.js';
import { EmbeddedBus } from './embedded-bus.js';

/** `bus.kind: embedded` (the default): one SQLite file, `<dataDir>/bus.db` unless `bus.embedded.path` says otherwise. */
export const embeddedBusModule = defineBusModule({
  kind: 'embedded',
  schema: embeddedBusConfigSchema.default(embeddedBusConfigSchema.parse({})),
  async create(config, deps) {
    const keepUncommittedOf = [...new Set([...config.retention.keepUncommittedOf, ...(deps.retainFor ?? [])])];
    return new EmbeddedBus(
      { ...config, path: config.path ?? join(deps.dataDir, 'bus.db'), retention: { ...config.retention, keepUncommittedOf } },
      deps.logger.child({ component: 'bus.embedded' }),
      deps.metrics,
      deps.storage,
    );
  },
});
