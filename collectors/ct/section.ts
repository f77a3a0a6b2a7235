import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseConfig, safeUrl } from '../../core/index.js';
import { ctLogConfigSchema, type CtLogConfig, ctLogFields } from './config.js';
import { CtError } from './errors.js';
import { LOG_STATES, parseLogList, pickLogs } from './loglist.js';

/**
 * `collectors.ct`: logs given directly (`logs`), plus the logs of a log list v3 file in the given
 * states (`logList`), which take `logListDefaults` for everything the list does not say. A log in
 * both is followed once, as configured in `logs`.
 */
export const ctSectionSchema = z
  .strictObject({
    logs: z.array(ctLogConfigSchema).default([]),
    logList: z
      .strictObject({
        path: z.string().min(1),
        states: z.array(z.enum(LOG_STATES)).min(1).default(['usable', 'qualified']),
        defaults: ctLogFields.omit({ url: true, api: true, key: true, logId: true, description: true, operator: true }).partial().default({}),
      })
      .optional(),
  })
  .default({ logs: [] });
export type CtSection = z.output<typeof ctSectionSchema>;

export function logsOf(section: CtSection): CtLogConfig[] {
  const out = [...section.logs];
  if (section.logList) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(section.logList.path, 'utf8'));
    } catch (err) {
      throw new CtError('CT_LOGLIST_INVALID', `log list ${section.logList.path} is not readable JSON`, err);
    }
    const seen = new Set(out.map((l) => safeUrl(l.url)));
    for (const l of pickLogs(parseLogList(json), section.logList.states)) {
      if (seen.has(safeUrl(l.url))) continue;
      seen.add(safeUrl(l.url));
      // A listed log that is not followable as given (a URL that is not one) is a coded config error.
      out.push(
        parseConfig(
          ctLogConfigSchema,
          {
            ...section.logList.defaults,
            url: l.url,
            api: l.api,
            key: l.key,
            logId: l.logId,
            operator: l.operator,
            ...(l.description ? { description: l.description } : {}),
          },
          'collectors.ct.logList',
        ),
      );
    }
  }
  return out;
}
