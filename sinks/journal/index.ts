// Public surface of the journal sink (the daemon wires it through module.ts).
export { createJournalSink, journalSinkConfigSchema, type JournalSinkConfig } from './journal-sink.js';
