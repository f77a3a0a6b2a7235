import { describe, expect, it } from 'vitest';
import { BusError } from '../../core/index.js';
import { isTransientKafkaError, toBusError } from './errors.js';

// Shapes as kafkajs 2.2.4 builds them (src/errors.js): name, retriable, cause / errors[].
function kjs(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error('x'), { name, retriable: true, ...extra });
}

describe('kafkajs error classification', () => {
  it('treats connection loss and timeouts as retriable BUS_UNAVAILABLE', () => {
    for (const name of ['KafkaJSConnectionError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound', 'KafkaJSLockTimeout']) {
      const e = toBusError(kjs(name, { retriable: false }), 'BUS_PUBLISH_FAILED', 'publish');
      expect(e).toBeInstanceOf(BusError);
      expect(e.code).toBe('BUS_UNAVAILABLE');
      expect(e.retriable).toBe(true);
    }
  });

  it('looks through NumberOfRetriesExceeded and AggregateError to the cause', () => {
    const exhausted = kjs('KafkaJSNumberOfRetriesExceeded', { retriable: false, cause: kjs('KafkaJSConnectionError') });
    expect(isTransientKafkaError(exhausted)).toBe(true);
    const mixed = Object.assign(new Error('x'), {
      name: 'KafkaJSAggregateError',
      errors: [kjs('KafkaJSConnectionError'), kjs('KafkaJSProtocolError', { retriable: false, type: 'MESSAGE_TOO_LARGE' })],
    });
    expect(isTransientKafkaError(mixed)).toBe(false);
  });

  it('maps final protocol and auth errors to the given code, not retriable', () => {
    const tooLarge = toBusError(kjs('KafkaJSProtocolError', { retriable: false, type: 'MESSAGE_TOO_LARGE' }), 'BUS_PUBLISH_FAILED', 'publish');
    expect(tooLarge.code).toBe('BUS_PUBLISH_FAILED');
    expect(tooLarge.retriable).toBe(false);
    const auth = toBusError(kjs('KafkaJSSASLAuthenticationError', { retriable: true }), 'BUS_UNAVAILABLE', 'connect');
    expect(auth.retriable).toBe(false);
  });

  it('keeps retriable protocol errors retriable and passes BusErrors through', () => {
    expect(toBusError(kjs('KafkaJSProtocolError', { type: 'NOT_LEADER_OR_FOLLOWER' }), 'BUS_PUBLISH_FAILED', 'p').code).toBe('BUS_UNAVAILABLE');
    const own = new BusError('BUS_STOPPED', 'stopped');
    expect(toBusError(own, 'BUS_PUBLISH_FAILED', 'p')).toBe(own);
    expect(isTransientKafkaError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
  });
});
