import { defineBusModule } from '../../core/index.js';
import { kafkaBusConfigSchema } from './config.js';

/**
 * `bus.kind: kafka`. This descriptor is a public surface of its own (beside index.ts) because
 * index.ts loads the Kafka client: the adapter is imported only when a Kafka bus is created.
 */
export const kafkaBusModule = defineBusModule({
  kind: 'kafka',
  schema: kafkaBusConfigSchema.optional(),
  async create(config, deps) {
    if (!config) throw new Error('bus.kind is kafka but bus.kafka is missing'); // the config schema refuses this first
    const { KafkaBus } = await import('./kafka-bus.js');
    return new KafkaBus(config, { logger: deps.logger, metrics: deps.metrics });
  },
});
