import { configFingerprint, defineModule } from '../../core/index.js';
import { runbookRoutes } from './api.js';
import { runbookApproveCommand, runbookRunCommand, runbookStatusCommand } from './commands.js';
import { runbooksConfigSchema } from './config.js';
import { RunbookRunner } from './runner.js';

/**
 * `keys.runbooks`: responder runbooks (revoke-key, rotate-key) run durably by the daemon, with
 * M-of-N signed approvals; `chainwatch runbook run|approve|status` (docs/runbooks.md).
 */
export const runbooksModule = defineModule({
  id: 'keys.runbooks',
  summary: 'Responder runbooks with signed approvals: disable keys in the HSM, revoke, find what they signed, open the incident, rotate',
  section: { group: 'keys', key: 'runbooks', schema: runbooksConfigSchema.optional() },
  components: (cfg) =>
    cfg && cfg.enabled ? [{ name: 'keys.runbooks', kind: 'sink', fingerprint: configFingerprint(cfg), create: (ctx) => new RunbookRunner(cfg, ctx) }] : [],
  routes: (cfg, host) => (cfg && cfg.enabled ? runbookRoutes(cfg, host.dataDir) : []),
  warnings: (cfg) => (cfg?.crashAt ? [{ path: 'keys.runbooks.crashAt', message: 'a fault drill: the daemon kills itself when a run reaches this point' }] : []),
  commands: [runbookRunCommand, runbookApproveCommand, runbookStatusCommand],
});
