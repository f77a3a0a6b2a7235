/**
 * The registry path of issue 11 end to end through ONE real daemon process (embedded bus, journal
 * sink): pushes to the REAL distribution registry (Debian docker-registry 2.8, scripts/services/
 * registry.sh) whose own notifications reach /webhooks/distribution -> registry.manifest.v1 ->
 * collectors.signatures discovers on that same registry (no referrers API there: the cosign tag
 * convention and the referrers tag-schema fallback) -> trust/oci verifies -> rules/policy judges ->
 * detectors.keyMisuse writes findings to the journal. Images are pushed with crane, signed and
 * attested with REAL cosign v3 with test keys, every signature and attestation uploaded to the REAL
 * local Rekor (scripts/services/rekor.sh), whose log key the daemon trusts and whose evidence it
 * requires (trust.requireTlog); the revocation goes through the real `chainwatch keys revoke` CLI process.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { ArtifactVerified, Finding } from '../../core/index.js';
import { built, type DaemonProcess, httpStatus, runCli, startDaemon } from '../helpers/daemon-process.js';
import { cosign, cosignAttestSbom, cosignKeyPair, cosignSign, ocireg, pushImage, rekorTarget } from '../helpers/oci.js';
import { service } from '../helpers/services.js';

const registry = service('CHAINWATCH_TEST_REGISTRY_URL', 'container registry (distribution 2.8)');
const rekor = service('CHAINWATCH_TEST_REKOR_URL', 'Rekor (transparency log)');
const NOTIFY_PORT = process.env.CHAINWATCH_TEST_REGISTRY_NOTIFY_PORT;
const NOTIFY_TOKEN = process.env.CHAINWATCH_TEST_REGISTRY_NOTIFY_TOKEN;
const WAIT = { timeout: 90_000, interval: 200 };

interface Journal {
  verified: ArtifactVerified[];
  findings: Finding[];
}

function read(path: string): Journal {
  const out: Journal = { verified: [], findings: [] };
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const { event } = JSON.parse(line) as { event: { type: string; data: unknown } };
      if (event.type === 'dev.chainwatch.registry.artifact.verified.v1') out.verified.push(event.data as ArtifactVerified);
      if (event.type === 'dev.chainwatch.finding.v1') out.findings.push(event.data as Finding);
    } catch {
      // a torn last line
    }
  }
  return out;
}

/** Findings about one digest in journal order (one per condition: a re-check does not repeat a firing finding). */
function about(path: string, digest: string, rule?: string): Finding[] {
  return read(path).findings.filter((f) => f.subject.endsWith(`@${digest}`) && (rule === undefined || f.rule === rule));
}
/** Alerts: one per dedup key (the finding contract's alert identity), with its status transitions. */
function alerts(path: string, digest: string, rule?: string): { rule: string; severity: string; category: string; statuses: string[] }[] {
  const byKey = new Map<string, { rule: string; severity: string; category: string; statuses: string[] }>();
  for (const f of about(path, digest, rule)) {
    const a = byKey.get(f.dedupKey) ?? { rule: f.rule, severity: f.severity, category: f.category, statuses: [] };
    if (a.statuses.at(-1) !== f.status) a.statuses.push(f.status);
    byKey.set(f.dedupKey, a);
  }
  return [...byKey.values()];
}
/** Rules of the alerts still firing. */
const open = (path: string, digest: string): string[] =>
  alerts(path, digest)
    .filter((a) => a.statuses.at(-1) === 'firing')
    .map((a) => a.rule)
    .sort();
const verdicts = (path: string, digest: string) => read(path).verified.filter((v) => v.image.digest === digest);

describe.skipIf(registry.skip || rekor.skip || ocireg.skip || cosign.skip || !built())(
  'registry pipeline: push -> webhook -> discovery -> verification -> policy -> finding',
  () => {
    it('one daemon judges real pushes, signatures, attestations and a revocation', async () => {
      const host = new URL(registry.value!).host;
      const run = `e2e-${Date.now().toString(36)}`;
      const dir = mkdtempSync(join(tmpdir(), 'cw-e2e-registry-'));
      const [release, qa, ops, stranger] = await Promise.all([cosignKeyPair(), cosignKeyPair(), cosignKeyPair(), cosignKeyPair()]);
      const log = rekorTarget(rekor.value!);
      const policies = join(dir, 'policies');
      mkdirSync(policies);
      writeFileSync(
        join(policies, 'release-signed.yaml'),
        [
          'name: release-signed',
          `images: ['${host}/${run}/app-*']`,
          'authorities:',
          `  - name: release`,
          `    key: { path: ${release.pub} }`,
          'attestations:',
          '  - name: sbom-licences',
          '    predicateType: https://cyclonedx.org/bom',
          `    condition: "!predicate.components.exists(c, has(c.licenses) && c.licenses.exists(l, has(l.license.id) && l.license.id in ['GPL-3.0-only', 'GPL-2.0-only']))"`,
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(policies, 'two-of-three.yaml'),
        [
          'name: two-of-three',
          `images: ['${host}/${run}/multi-*']`,
          'threshold: 2',
          'authorities:',
          ...[
            ['release', release],
            ['qa', qa],
            ['ops', ops],
          ].flatMap(([n, k]) => [`  - name: ${n as string}`, `    key: { path: ${(k as { pub: string }).pub} }`]),
          '',
        ].join('\n'),
      );
      const cfg = join(dir, 'chainwatch.yaml');
      writeFileSync(
        cfg,
        [
          'bus:\n  kind: embedded\n  embedded:\n    pollInterval: 50ms',
          'sinks:\n  journal:\n    path: journal.jsonl\n    families: [registry, findings]',
          'collectors:',
          '  registry:\n    distribution:\n      bearer:\n        - token: { env: CW_TEST_NOTIFY_TOKEN }\n          principal: test-registry',
          '  signatures:',
          '    settleDelay: 4s',
          `    policies: ${policies}`,
          `    trust:\n      keyless: false\n      keys: [${[release, qa, ops, stranger].map((k) => k.pub).join(', ')}]`,
          `      rekorLogs: [{ url: '${log.url}', publicKey: ${log.publicKey} }]\n      requireTlog: true`,
          // One project: the same keys sign every repository of this run.
          `detectors:\n  keyMisuse:\n    relatedRepositories: [['${host}/${run}/*']]`,
          'shutdown:\n  deadline: 10s',
          '',
        ].join('\n'),
      );
      const journal = join(dir, 'journal.jsonl');
      const ref = (repo: string, digest: string) => `${host}/${run}/${repo}@${digest}`;
      const push = (repo: string) => pushImage(host, `${run}/${repo}`, 'v1');

      const d: DaemonProcess = await startDaemon(['--config', cfg, '--data-dir', dir, '--port', NOTIFY_PORT!], { CW_TEST_NOTIFY_TOKEN: NOTIFY_TOKEN });
      try {
        await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 60_000, interval: 100 });

        // Signed (cosign .sig tag) and attested with an allowed SBOM (.att tag) within the settle delay: passes, no finding.
        const good = await push('app-good');
        await Promise.all([
          cosignSign(ref('app-good', good), release.key, true, log),
          cosignAttestSbom(ref('app-good', good), release.key, true, [{ name: 'left-pad', version: '1.3.0', licence: 'MIT' }], log),
        ]);
        // Unsigned: exactly one policy.unsigned.
        const unsigned = await push('app-unsigned');
        // Signed by a key trust knows but the policy does not allow: exactly one policy.signer_not_allowed.
        const foreign = await push('app-stranger');
        await cosignSign(ref('app-stranger', foreign), stranger.key, true, log);
        // Signed by release, but its SBOM carries a denied licence: policy.condition_failed.
        const gpl = await push('app-gpl');
        await Promise.all([
          cosignSign(ref('app-gpl', gpl), release.key, true, log),
          cosignAttestSbom(ref('app-gpl', gpl), release.key, true, [{ name: 'readline', version: '8.2', licence: 'GPL-3.0-only' }], log),
        ]);
        // Two of three with one signature: threshold_not_met.
        const multi = await push('multi-app');
        await cosignSign(ref('multi-app', multi), qa.key, true, log);

        await vi.waitFor(() => {
          const v = verdicts(journal, good).at(-1);
          expect(v?.verdict).toBe('pass');
          expect(v?.policies.find((p) => p.policy === 'release-signed')?.result).toBe('pass');
        }, WAIT);
        // Its Rekor evidence verified against the local log's key: the integrated time is a timestamp.
        const passed = verdicts(journal, good).at(-1)!;
        for (const r of [...passed.signatures, ...passed.attestations]) {
          expect(r).toMatchObject({ verified: true, tlog: { verified: true } });
          expect(r.timestamps).toEqual([r.tlog!.integratedTime]);
        }
        expect([passed.signatures.length, passed.attestations.length]).toEqual([1, 1]);
        await vi.waitFor(() => expect(alerts(journal, unsigned, 'policy.unsigned')).toHaveLength(1), WAIT);
        await vi.waitFor(() => expect(alerts(journal, foreign, 'policy.signer_not_allowed')).toHaveLength(1), WAIT);
        await vi.waitFor(() => expect(alerts(journal, gpl, 'policy.condition_failed')).toHaveLength(1), WAIT);
        await vi.waitFor(() => expect(open(journal, multi)).toEqual(['policy.threshold_not_met']), WAIT);

        // Late signature: a second authority signs the 2-of-3 image long after its push (cosign v3
        // bundle: distribution has no referrers API, so cosign writes the sha256-<hex> fallback index;
        // its push notification re-checks the image) -> pass, the finding is resolved.
        await cosignSign(ref('multi-app', multi), ops.key, false, log);
        await vi.waitFor(() => expect(verdicts(journal, multi).at(-1)?.verdict).toBe('pass'), WAIT);
        await vi.waitFor(() => expect(alerts(journal, multi, 'policy.threshold_not_met')[0]?.statuses).toEqual(['firing', 'resolved']), WAIT);
        expect(alerts(journal, multi, 'policy.threshold_not_met')).toHaveLength(1);
        // The late co-signer is one the policy allows (the second of 2-of-3): no key.resign_new_identity either.
        expect(open(journal, multi)).toEqual([]);
        // The digest was checked several times (each signature push re-checks it): still one finding per condition.
        // Eventually: the late signature's own events wait out the settle delay, and a check pending from an
        // earlier push may already have seen the new signature and published the pass the waits above saw.
        await vi.waitFor(() => expect(verdicts(journal, multi).length).toBeGreaterThan(2), WAIT);
        expect(about(journal, multi).map((f) => [f.rule, f.status])).toEqual([
          ['policy.threshold_not_met', 'firing'],
          ['policy.threshold_not_met', 'resolved'],
        ]);

        // Revocation through the CLI process, then a new signing by that key: one critical key.revoked_use.
        const revoke = await runCli(['keys', 'revoke', release.pub, '--reason', 'e2e: key leaked', '--config', cfg, '--data-dir', dir, '--json'], undefined, {
          CW_TEST_NOTIFY_TOKEN: NOTIFY_TOKEN,
        });
        expect(revoke.code, revoke.stderr).toBe(0);
        const after = await push('app-after-revocation');
        await Promise.all([
          cosignSign(ref('app-after-revocation', after), release.key, true, log),
          cosignAttestSbom(ref('app-after-revocation', after), release.key, true, undefined, log),
        ]);
        await vi.waitFor(() => expect(alerts(journal, after, 'key.revoked_use')).toHaveLength(1), WAIT);
        await vi.waitFor(() => expect(verdicts(journal, after).at(-1)?.attestations.length).toBeGreaterThan(0), WAIT);

        d.child.kill('SIGTERM');
        expect(await d.exited).toBe(0);

        // Settled: what each push left behind (every alert, whatever its rule).
        expect(about(journal, good)).toEqual([]);
        expect(alerts(journal, unsigned)).toEqual([{ rule: 'policy.unsigned', severity: 'high', category: 'security', statuses: ['firing'] }]);
        // The policy also requires the SBOM attestation, which the stranger's push lacks.
        expect(alerts(journal, foreign).map((a) => [a.rule, a.statuses])).toEqual([
          ['policy.signer_not_allowed', ['firing']],
          ['policy.attestation_missing', ['firing']],
        ]);
        // Only the pushed images were judged: a referrer (the cosign v3 bundle) re-checks its subject, never itself.
        expect([...new Set(read(journal).verified.map((v) => v.image.digest))].sort()).toEqual([good, unsigned, foreign, gpl, multi, after].sort());
        expect(open(journal, gpl)).toEqual(['policy.condition_failed']);
        expect(alerts(journal, after)).toEqual([{ rule: 'key.revoked_use', severity: 'critical', category: 'security', statuses: ['firing'] }]);
      } finally {
        d.child.kill('SIGKILL');
      }
    }, 300_000);
  },
);
