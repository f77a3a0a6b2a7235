// The `bus.kafka` config section is the Kafka adapter's own schema.
export { kafkaBusConfigSchema as kafkaSectionSchema } from '../bus/kafka/index.js';
