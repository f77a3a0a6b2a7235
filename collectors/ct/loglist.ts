import { z } from 'zod';
import { CtError } from './errors.js';
import { loadLogKey } from './log-key.js';

/**
 * The CT log list v3 format (https://www.gstatic.com/ct/log_list/v3/log_list_schema.json): the
 * operators' RFC 6962 `logs` and static-ct-api `tiled_logs`, each with a base64 DER key, its log
 * ID and a state. Picks the logs in the wanted states; every picked key is loaded (refused keys
 * fail the list with their CT_KEY_* code and the log's position).
 */
export const LOG_STATES = ['pending', 'qualified', 'usable', 'readonly', 'retired', 'rejected'] as const;
export type LogState = (typeof LOG_STATES)[number];

const logSchema = z.object({
  description: z.string().optional(),
  log_id: z.string(),
  key: z.string(),
  url: z.string().optional(),
  submission_url: z.string().optional(),
  monitoring_url: z.string().optional(),
  state: z.partialRecord(z.enum(LOG_STATES), z.unknown()).optional(),
});
const listSchema = z.object({
  version: z.string().optional(),
  operators: z.array(z.object({ name: z.string(), logs: z.array(logSchema).default([]), tiled_logs: z.array(logSchema).default([]) })),
});

export interface ListedLog {
  description?: string;
  operator: string;
  logId: string;
  key: string;
  api: 'rfc6962' | 'static';
  url: string;
  state: LogState | 'unknown';
}

export function parseLogList(json: unknown): ListedLog[] {
  const parsed = listSchema.safeParse(json);
  if (!parsed.success) throw new CtError('CT_LOGLIST_INVALID', 'not a log list v3 document', parsed.error);
  const out: ListedLog[] = [];
  for (const op of parsed.data.operators) {
    for (const [api, logs] of [
      ['rfc6962', op.logs],
      ['static', op.tiled_logs],
    ] as const) {
      for (const l of logs) {
        const url = api === 'rfc6962' ? l.url : l.monitoring_url;
        if (!url) throw new CtError('CT_LOGLIST_INVALID', `log ${l.log_id} of ${op.name} has no ${api === 'rfc6962' ? 'url' : 'monitoring_url'}`);
        const state = (Object.keys(l.state ?? {})[0] as LogState | undefined) ?? 'unknown';
        out.push({ ...(l.description ? { description: l.description } : {}), operator: op.name, logId: l.log_id, key: l.key, api, url, state });
      }
    }
  }
  return out;
}

/** The logs in `states`, keys loaded and log IDs checked. */
export function pickLogs(list: ListedLog[], states: readonly LogState[]): ListedLog[] {
  return list
    .filter((l) => l.state !== 'unknown' && states.includes(l.state))
    .map((l) => {
      const key = loadLogKey(l.key);
      if (key.logId.toString('base64') !== l.logId) throw new CtError('CT_KEY_ID_MISMATCH', `log ${l.logId}: log_id is not the SHA-256 of its key`);
      return l;
    });
}
