import type { CloudEvent, Finding, RekorEntry } from '../../core/index.js';
import type { Verdict } from '../../rules/identity/index.js';
import { dedupKey, findingEvent, shortHash } from '../shared/index.js';
import type { IdentityWatchConfig } from './config.js';

/**
 * Findings of the identity-watch detector.
 *   identity.unexpected_signer: a watched identity was used by a signer no allowlist entry
 *     allows. Dedup per (watch, signer identity): repeated signatures by the same rogue identity
 *     are occurrences of one alert; a different rogue identity is a new alert.
 *   identity.expected_signer: a legitimate signature, recorded only with onExpected: record.
 *     Dedup per (watch, entry): each release is its own audit record.
 */
export const DETECTOR = 'identity-watch';
export const RULE_UNEXPECTED = 'identity.unexpected_signer';
export const RULE_EXPECTED = 'identity.expected_signer';

export function verdictFinding(cfg: IdentityWatchConfig, ev: CloudEvent, entry: RekorEntry, v: Verdict): CloudEvent<Finding> {
  const c = v.claims;
  const signer = entry.signers[v.signerIndex];
  const digests = entry.artifact.digests.map((d) => `${d.algorithm}:${d.value}`);
  const subject = digests[0] ?? entry.uuid;
  const who = c.san ?? c.fingerprint ?? 'unknown signer';
  const identity = [c.san ?? '', c.issuer ?? '', c.workflowRef ?? '', c.san ? '' : (c.fingerprint ?? '')].join('\n');
  const evidence: Record<string, unknown> = {
    watch: v.watch.name,
    san: c.san,
    issuer: c.issuer,
    fingerprintSha256: c.fingerprint,
    signerKind: c.kind,
    workflow: {
      workflowRef: c.workflowRef,
      sourceRepository: c.sourceRepository,
      ref: c.ref,
      sha: c.sha,
      trigger: c.trigger,
      runnerEnvironment: c.runnerEnvironment,
      runInvocationUri: signer?.github?.runInvocationUri,
    },
    matchedBy: v.matchedBy,
    digests,
    log: {
      origin: entry.log.origin,
      url: entry.log.url,
      logIndex: entry.logIndex,
      treeIndex: entry.treeIndex,
      uuid: entry.uuid,
      integratedTime: entry.integratedTime,
      kind: entry.kind,
    },
    ...(v.kind === 'unexpected' ? { refusals: v.refusals } : { allowedBy: v.allowedBy }),
  };
  const links = [{ title: 'log entry', url: entryLink(cfg, entry) }];
  if (signer?.github?.runInvocationUri) links.push({ title: 'workflow run', url: signer.github.runInvocationUri });
  const common = {
    detector: DETECTOR,
    subject,
    source: ev.source,
    labels: { ...v.watch.labels, watch: v.watch.name },
    evidence,
    links,
    causedBy: [ev.id],
    observedAt: ev.time ?? entry.integratedTime ?? new Date(0).toISOString(),
  };
  const idParts = [ev.id, v.signerIndex];
  if (v.kind === 'unexpected') {
    const why =
      v.refusals.length === 0 ? 'no signer is expected' : `not allowed by ${v.refusals.map((r) => `"${r.expected}" (${r.failed.join(', ')})`).join('; ')}`;
    return findingEvent(
      {
        ...common,
        rule: RULE_UNEXPECTED,
        severity: v.watch.severity,
        category: 'security',
        dedupKey: dedupKey(RULE_UNEXPECTED, v.watch.name, shortHash(identity)),
        summary: `Unexpected signature for watched identity "${v.watch.name}" by ${who}${c.issuer ? ` (${c.issuer})` : ''} at log index ${entry.logIndex}`,
        description: `${why}.${v.watch.description ? ` Watch: ${v.watch.description}.` : ''}`,
      },
      idParts,
      cfg.source,
    );
  }
  return findingEvent(
    {
      ...common,
      rule: RULE_EXPECTED,
      severity: cfg.expectedSeverity,
      category: 'security',
      dedupKey: dedupKey(RULE_EXPECTED, v.watch.name, entry.uuid),
      summary: `Expected signature for "${v.watch.name}" by ${who} (allowed by "${v.allowedBy}") at log index ${entry.logIndex}`,
    },
    idParts,
    cfg.source,
  );
}

/** search.sigstore.dev for the public-good log (by log index), else the log's own URL. */
export function entryLink(cfg: IdentityWatchConfig, entry: RekorEntry): string {
  let host: string | undefined;
  try {
    host = new URL(entry.log.url).host;
  } catch {
    host = undefined;
  }
  if (host && cfg.publicLogHosts.includes(host)) {
    const u = new URL(cfg.publicSearchUrl);
    u.searchParams.set('logIndex', String(entry.logIndex));
    return u.toString();
  }
  return entry.log.url;
}
