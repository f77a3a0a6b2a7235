import pino from 'pino';
import type { Logger } from '../core/index.js';
import type { Redactor } from './config/secrets.js';

/**
 * pino to stdout (JSON lines). Secrets are scrubbed twice: by key (pino's redact paths for
 * well-known secret field names) and by value (every resolved secret from config is replaced in
 * the serialized line, wherever it appears — an error message, a URL, a header dump).
 */
export function createLogger(level: string, redactor: Redactor, destination: pino.DestinationStream | number = 1, instance?: string): Logger {
  const dest = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino(
    {
      level,
      base: { service: 'chainwatch', ...(instance ? { instance } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          'token',
          'secret',
          'apiToken',
          'routingKey',
          'authorization',
          '*.password',
          '*.token',
          '*.secret',
          '*.apiToken',
          '*.routingKey',
          '*.authorization',
          'headers.authorization',
          'headers.Authorization',
        ],
        censor: '[REDACTED]',
      },
      // Always installed: a config reload may add secrets to a Redactor that started empty.
      hooks: { streamWrite: (s: string) => redactor.redact(s) },
      serializers: { err: pino.stdSerializers.err },
    },
    dest,
  );
}
