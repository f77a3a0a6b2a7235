import type { FeatureName } from './features.js';

/**
 * The rule-based floor: known-bad patterns that make a document anomalous whatever the model
 * says, so a deployment without a trained model (or with a model that learnt a bad habit as
 * normal) still reports them. Each rule reads the feature vector only.
 */
export interface FloorRule {
  id: string;
  /** The feature whose value the reason describes. */
  feature: FeatureName;
  /** The reason in words. */
  reason: string;
  /** When it fires; default: the feature is 1 (builder_trusted: is 0). */
  when?: (f: Float32Array, index: (n: FeatureName) => number) => boolean;
}

export const FLOOR_RULES: readonly FloorRule[] = [
  { id: 'untrusted_builder', feature: 'builder_trusted', reason: 'builder is not a known trusted builder' },
  { id: 'self_hosted_runner', feature: 'runner_self_hosted', reason: 'built on a self-hosted runner' },
  { id: 'signer_repo_mismatch', feature: 'signer_repo_mismatch', reason: 'signing certificate names another repository than the source' },
  { id: 'workflow_from_other_owner', feature: 'workflow_repo_differs', reason: 'workflow comes from a repository of another owner' },
  { id: 'source_changed_for_subject', feature: 'source_new_for_subject', reason: 'this package was built from another repository before' },
  { id: 'pull_request_release', feature: 'ref_pr', reason: 'built from a pull request ref' },
  // Materials gone (or multiplied) against a history that had them: log1p change > 1 means at least ~2.7x.
  { id: 'materials_vanished', feature: 'materials_change', reason: 'materials changed drastically', when: (f, i) => f[i('materials_change')]! > 1 },
  // A new signing identity while the workflow file is the one the repository always used: someone else signed.
  {
    id: 'signer_changed_alone',
    feature: 'signer_new_for_repo',
    reason: 'new signer for an unchanged workflow',
    when: (f, i) => f[i('signer_new_for_repo')] === 1 && f[i('workflow_new_for_repo')] === 0,
  },
];

/** The floor rules that fire on a vector (builder_trusted fires when 0, the others when 1). */
export function floorHits(f: Float32Array, index: (n: FeatureName) => number): FloorRule[] {
  return FLOOR_RULES.filter((r) => (r.when ? r.when(f, index) : r.feature === 'builder_trusted' ? f[index(r.feature)] === 0 : f[index(r.feature)] === 1));
}
