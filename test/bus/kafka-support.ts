import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KafkaBus, type KafkaBusConfigInput } from '../../bus/kafka/index.js';
import { type BusRecord, type CloudEvent, type Logger, makeEvent, ProbeEvent, silentLogger } from '../../core/index.js';
import { service } from '../helpers/services.js';

/** Shared by the Kafka integration tests and the contract run: broker address, bus factory, waits. */
export const kafkaSvc = service('CHAINWATCH_TEST_KAFKA_BROKERS', 'Kafka broker');
export const KAFKA_SCRIPT = process.env.CHAINWATCH_TEST_KAFKA_SCRIPT ?? join(import.meta.dirname, '..', '..', 'scripts', 'services', 'kafka.sh');

/** A fresh topic prefix per call: runs and tests never see each other's topics. */
export function randomPrefix(): string {
  return `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}.`;
}

/** CHAINWATCH_TEST_LOG=1 prints the bus' warnings and errors while debugging a test. */
const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn: (o, m) => console.warn('WARN', m ?? '', o),
  error: (o, m) => console.error('ERROR', m ?? '', o),
  child: () => consoleLogger,
};
const testLogger = process.env.CHAINWATCH_TEST_LOG ? consoleLogger : silentLogger;

const buses: KafkaBus[] = [];
export function makeKafkaBus(overrides: Partial<KafkaBusConfigInput> = {}): KafkaBus {
  const bus = new KafkaBus(
    {
      brokers: (kafkaSvc.value ?? '127.0.0.1:19092').split(','),
      clientId: 'chainwatch-test',
      topicPrefix: randomPrefix(),
      partitions: 3,
      healthProbe: 500,
      drainTimeout: 5_000,
      logLevel: 'error',
      ...overrides,
    },
    { logger: testLogger },
  );
  buses.push(bus);
  return bus;
}
export async function stopAllBuses(): Promise<void> {
  await Promise.allSettled(buses.splice(0).map((b) => b.stop()));
}

export function probe(seq: number, subject = `s${seq % 5}`, extra: { fail?: boolean; payload?: string } = {}): CloudEvent {
  return makeEvent({ type: ProbeEvent.type, source: 'urn:chainwatch:test', subject, data: { seq, ...extra } });
}

export function seqOf(r: BusRecord): number {
  return (r.event.data as { seq: number }).seq;
}

const run = promisify(execFile);
/** Outage helpers: SIGKILL the broker keeping its data, and start it again (see scripts/services/kafka.sh). */
export async function killBroker(): Promise<void> {
  await run('bash', [KAFKA_SCRIPT, 'stop-broker']);
}
export async function startBroker(): Promise<void> {
  await run('bash', [KAFKA_SCRIPT, 'start-broker'], { timeout: 150_000 });
}
