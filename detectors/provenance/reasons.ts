import type { FeatureName } from './features.js';
import type { HistoryContext } from './history.js';
import { signerName } from './history.js';
import type { Provenance } from './normalize.js';

/** One feature of one document said in words a person can act on, using the document and its history. */
export function describeFeature(name: FeatureName, p: Provenance, h: HistoryContext): string {
  const rel = h.repo?.releases ?? [];
  switch (name) {
    case 'builder_trusted':
      return `builder ${p.builderId} is not a known trusted builder`;
    case 'build_type_known':
      return `unknown build type ${p.buildType || '(none)'}`;
    case 'builder_new_for_repo':
      return `builder ${p.builderId} never seen for this repository`;
    case 'subject_repo_mismatch':
      return `subject ${p.subjects[0] ?? '?'} does not match source repository ${p.sourceRepo ?? '?'}`;
    case 'source_new_for_subject':
      return `subject was built from ${h.subjectRepo ?? '?'} before, now from ${p.sourceRepo ?? '?'}`;
    case 'ref_tag':
    case 'ref_branch':
    case 'ref_pr':
      return `built from ${p.refKind === 'pr' ? 'pull request ' : ''}ref ${p.ref ?? '(none)'}`;
    case 'workflow_repo_differs':
      return `workflow from ${p.workflowRepo ?? '?'} while the source is ${p.sourceRepo ?? '?'}`;
    case 'workflow_new_for_repo':
      return `workflow ${p.workflowPath ?? '?'} never seen for this repository`;
    case 'trigger_push':
    case 'trigger_release':
    case 'trigger_dispatch':
    case 'trigger_pr':
    case 'trigger_other':
      return `trigger ${p.trigger ?? '(none)'}`;
    case 'trigger_new_for_repo':
      return `trigger ${p.trigger ?? '?'} never seen for this repository (before: ${h.repo?.triggers.join(', ') || 'none'})`;
    case 'runner_self_hosted':
      return 'self-hosted runner';
    case 'runner_unknown':
      return 'runner environment not stated';
    case 'materials_log':
    case 'materials_change':
    case 'materials_missing': {
      const m = rel.map((r) => r.materials);
      return m.length === 0
        ? `${p.materialsCount} materials`
        : `${p.materialsCount} materials where the last ${m.length} releases had ${Math.min(...m)}–${Math.max(...m)}`;
    }
    case 'external_params':
      return `external parameters: ${p.extraParameters.join(', ')}`;
    case 'signer_repo_mismatch':
      return `signed by a workflow of ${p.signerRepo ?? '?'} while the source is ${p.sourceRepo ?? '?'}`;
    case 'signer_new_for_repo':
      return `signer ${signerName(p) ?? '?'} never seen for this repository`;
    case 'hour_sin':
    case 'hour_cos':
    case 'hour_deviation':
    case 'weekend': {
      const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);
      const when = p.time !== undefined && Number.isFinite(Date.parse(p.time)) ? hhmm(Date.parse(p.time)) : '?';
      const usual = rel.filter((r) => r.t > 0).map((r) => new Date(r.t).getUTCHours());
      return usual.length === 0
        ? `built at ${when} UTC`
        : `built at ${when} UTC where earlier releases were built between ${Math.min(...usual)}:00 and ${Math.max(...usual)}:59 UTC`;
    }
    case 'days_since_previous_log': {
      const last = rel.filter((r) => r.t > 0).at(-1);
      const t = p.time !== undefined ? Date.parse(p.time) : NaN;
      return last && Number.isFinite(t) ? `${((t - last.t) / 86_400_000).toFixed(1)} days since the previous release` : 'no previous release';
    }
    case 'history_log':
      return `${rel.length} earlier releases known`;
    case 'time_known':
      return 'build time unknown';
  }
}
