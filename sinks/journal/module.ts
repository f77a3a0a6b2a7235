import { configFingerprint, defineModule } from '../../core/index.js';
import { createJournalSink, journalSinkConfigSchema } from './journal-sink.js';

/** `sinks.journal`: every event of the chosen families, one JSON line each, fsynced before commit. */
export const journalModule = defineModule({
  id: 'sinks.journal',
  summary: 'Appends every event to a JSON-lines file (export, debugging, end-to-end tests)',
  section: { group: 'sinks', key: 'journal', schema: journalSinkConfigSchema.optional() },
  components: (cfg) =>
    cfg?.enabled ? [{ name: 'sink.journal', kind: 'sink', fingerprint: configFingerprint(cfg), create: (ctx) => createJournalSink(cfg, ctx) }] : [],
});
