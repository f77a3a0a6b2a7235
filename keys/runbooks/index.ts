/** Responder runbooks (docs/runbooks.md): definitions, approvals, HSM effects, the daemon's runner and the CLI. */
export { runbooksModule } from './module.js';
export { approvalPayload, ApprovalError, type Approver, approverOf, judgeApprovals, signApproval } from './approvals.js';
export { bindParameters, loadRunbook, parseRunbook, type Runbook, RunbookError, STEP_TYPES } from './definition.js';
/** The HSM operations (pkcs11js, a native addon): loaded on demand. */
export const loadRunbookHsm = () => import('./hsm.js');
export { RunbookRunner } from './runner.js';
export { runbooksConfigSchema, type RunbooksConfig } from './config.js';
export { runbookRoutes } from './api.js';
