import { validate as validCron } from 'node-cron';
import { z } from 'zod';

/**
 * A node-cron expression in config ([second] minute hour day-of-month month day-of-week), checked
 * when the config loads so that a typo fails `config check` with its key path instead of never
 * running. One schema for every scheduled scan (registry poll, cert-expiry, workloads, key inventory).
 */
export function cronSchema(dflt: string) {
  return z
    .string()
    .trim()
    .refine((s) => validCron(s), { message: 'not a cron expression (node-cron: [second] minute hour day-of-month month day-of-week)' })
    .default(dflt);
}
