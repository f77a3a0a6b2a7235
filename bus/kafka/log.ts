import { type LogEntry, logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../../core/index.js';

/** kafkajs level names from our config, as kafkajs numbers. */
export const KAFKAJS_LEVELS = { error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG } as const;

/**
 * Routes kafkajs' own logs to the Logger port. kafkajs log entries carry broker addresses,
 * client ids and error text but never SASL credentials (it does not log its config).
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const base = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = log;
      const fields = { namespace, ...rest };
      switch (level) {
        case logLevel.ERROR:
          base.error(fields, message);
          break;
        case logLevel.WARN:
          base.warn(fields, message);
          break;
        case logLevel.INFO:
          base.info(fields, message);
          break;
        default:
          base.debug(fields, message);
      }
    };
}
