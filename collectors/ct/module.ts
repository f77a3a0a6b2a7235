import { configFingerprint, defineModule, safeUrl } from '../../core/index.js';
import { createCtCollector } from './collector.js';
import { ctBackfillCommand, ctLogsCommand } from './commands.js';
import { ctSectionSchema, logsOf } from './section.js';

export { ctSectionSchema, logsOf, type CtSection } from './section.js';

export const ctModule = defineModule({
  id: 'collectors.ct',
  summary: 'Follows Certificate Transparency logs (RFC 6962 and Static CT API) as a full auditor and publishes every audited entry',
  section: { group: 'collectors', key: 'ct', schema: ctSectionSchema },
  components: (section) =>
    logsOf(section).map((log) => ({
      name: `collector.ct:${log.vantage}:${safeUrl(log.url)}`,
      kind: 'collector' as const,
      fingerprint: configFingerprint(log),
      create: (ctx) => createCtCollector(log, ctx),
    })),
  // A log list that changes (new usable logs, retired ones) is reconciled without a restart.
  watchedFiles: (section) => (section.logList ? [section.logList.path] : []),
  commands: [ctLogsCommand, ctBackfillCommand],
});
