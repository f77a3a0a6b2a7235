import { describe, expect, it } from 'vitest';
import { MultipleErrors, NetworkError, ProtocolError, ResponseError, TimeoutError, UserError, AuthenticationError } from '@platformatic/kafka';
import { BusError } from '../../core/index.js';
import { hasProtocolError, isTransientKafkaError, toBusError } from './errors.js';

// The error classes are @platformatic/kafka's own (the shapes it builds: code, canRetry, apiId, errors[]).
describe('Kafka client error classification', () => {
  it('treats connection loss and timeouts as retriable BUS_UNAVAILABLE', () => {
    const refused = new NetworkError('Connection to 127.0.0.1:1 failed.', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    for (const err of [refused, new TimeoutError('Request timed out.'), new ProtocolError('NOT_LEADER_OR_FOLLOWER')]) {
      const e = toBusError(err, 'BUS_PUBLISH_FAILED', 'publish');
      expect(e).toBeInstanceOf(BusError);
      expect(e.code).toBe('BUS_UNAVAILABLE');
      expect(e.retriable).toBe(true);
    }
    // A closed client (stop() ran) does not come back.
    expect(isTransientKafkaError(new NetworkError('Connection pool is closed.', { canRetry: false, closed: true }))).toBe(false);
  });

  it('looks through a call that gave up after its retries, and through per-partition response errors', () => {
    const exhausted = new MultipleErrors('produce failed 3 times.', [new NetworkError('Connection closed'), new NetworkError('Connection closed')]);
    expect(isTransientKafkaError(exhausted)).toBe(true);
    const mixed = new MultipleErrors('produce failed 2 times.', [new NetworkError('Connection closed'), new ProtocolError('MESSAGE_TOO_LARGE')]);
    expect(isTransientKafkaError(mixed)).toBe(false);
    const exists = new ResponseError(19, 7, { '/topics/0': [36, 'Topic already exists.'] }, {});
    expect(hasProtocolError(exists, 'TOPIC_ALREADY_EXISTS')).toBe(true);
    expect(hasProtocolError(new ResponseError(19, 7, { '/topics/0': [17, null] }, {}), 'TOPIC_ALREADY_EXISTS')).toBe(false);
  });

  it('maps final protocol, user and auth errors to the given code, not retriable', () => {
    const tooLarge = toBusError(new ProtocolError('MESSAGE_TOO_LARGE'), 'BUS_PUBLISH_FAILED', 'publish');
    expect(tooLarge.code).toBe('BUS_PUBLISH_FAILED');
    expect(tooLarge.retriable).toBe(false);
    for (const err of [new AuthenticationError('SASL authentication failed.'), new UserError('bad option')]) {
      const e = toBusError(err, 'BUS_UNAVAILABLE', 'connect');
      expect([e.code, e.retriable]).toEqual(['BUS_UNAVAILABLE', false]);
    }
  });

  it('passes BusErrors through and classifies bare socket errors', () => {
    const own = new BusError('BUS_STOPPED', 'stopped');
    expect(toBusError(own, 'BUS_PUBLISH_FAILED', 'p')).toBe(own);
    expect(isTransientKafkaError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientKafkaError(new Error('x'))).toBe(false);
  });
});
