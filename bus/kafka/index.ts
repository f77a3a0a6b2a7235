// Public surface of the Kafka bus adapter (the daemon wires it when bus.kind = "kafka").
export { KafkaBus, type KafkaBusDeps } from './kafka-bus.js';
export { kafkaBusConfigSchema, type KafkaBusConfig, type KafkaBusConfigInput } from './config.js';
export { isTransientKafkaError, toBusError } from './errors.js';
