import { defineReceiver } from '../../core/index.js';
import { EmailSink, emailSinkConfigSchema } from './index.js';

/** Receiver kind `email` of the alert pipeline (`sinks.alerts.receivers[]`): SMTP with STARTTLS (docs/alerts.md). */
export const emailReceiver = defineReceiver({ kind: 'email', schema: emailSinkConfigSchema, create: (config) => new EmailSink(config) });
