import { z } from 'zod';
import { duration, SEVERITIES } from '../../core/index.js';

/**
 * Configuration of the log-integrity detector. Defaults live here (not in the daemon); the daemon
 * parses its YAML section with this schema so a bad value fails at start with the key's path.
 */
const severity = z.enum(SEVERITIES);

export const logIntegrityConfigSchema = z
  .object({
    /** The daemon builds the detector only when enabled. */
    enabled: z.boolean().default(true),
    /** Consumer group on the tlog topic. */
    group: z.string().min(1).default('detector.log-integrity'),
    /** CloudEvents `source` of the findings this detector publishes. */
    source: z.string().min(1).default('chainwatch://detectors/log-integrity'),
    /** Namespace of this detector's keys in the StateStore. */
    stateKeyPrefix: z.string().min(1).default('log-integrity'),
    /** Default severity per rule. Security rules page; infrastructure trouble does not by default. */
    severity: z
      .object({
        signatureInvalid: severity.default('critical'),
        consistencyFailed: severity.default('critical'),
        treeShrank: severity.default('critical'),
        splitView: severity.default('critical'),
        inclusionFailed: severity.default('high'),
        setInvalid: severity.default('high'),
        entryMalformed: severity.default('high'),
        stale: severity.default('medium'),
        infrastructure: severity.default('low'),
      })
      .strict()
      .prefault({}),
    stale: z
      .object({
        /** A log whose verified checkpoint has not moved for this long is stale. */
        after: duration({ min: 1 }).prefault('30m'),
        /** Per-origin override of `after` (quiet private logs grow slowly). */
        perOrigin: z.record(z.string().min(1), duration({ min: 1 })).default({}),
        /**
         * `growth`: the verified tree size must grow (catches a log frozen on an old tree head,
         * which hides new entries from monitors). `verified`: any verified checkpoint counts.
         */
        mode: z.enum(['growth', 'verified']).default('growth'),
        /** How often the timer looks; 0 disables the timer (tests drive tick() directly). */
        checkInterval: duration().prefault('1m'),
      })
      .strict()
      .prefault({}),
    splitView: z
      .object({
        /** Tree sizes remembered per origin (oldest evicted first): bounds memory and state size. */
        maxSizesPerOrigin: z.number().int().positive().max(100_000).default(4096),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type LogIntegrityConfig = z.output<typeof logIntegrityConfigSchema>;
export type LogIntegrityConfigInput = z.input<typeof logIntegrityConfigSchema>;
export type SeverityKey = keyof LogIntegrityConfig['severity'];
