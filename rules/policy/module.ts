import { defineModule } from '../../core/index.js';
import { type LoadBundleFacts, policyCommands } from './commands.js';

/**
 * Image policies contribute commands only (`policy test`, `policy check`); the discovery component
 * and the admission webhook use loadPolicies / PolicyHolder from index.ts. `loadBundleFacts` is
 * trust's bundle verification, injected by daemon/registry.ts because rules/ imports only core.
 */
export function createPolicyModule(loadBundleFacts: LoadBundleFacts) {
  return defineModule({
    id: 'rules.policy',
    summary: 'Image policies (policy-as-code over signatures and attestations): offline test and validation',
    commands: policyCommands(loadBundleFacts),
  });
}
