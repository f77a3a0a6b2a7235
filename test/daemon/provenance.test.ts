/**
 * The provenance detector in the real daemon process on the embedded bus: registry
 * artifact.verified events published through the real `chainwatch events publish registry` CLI
 * process, each carrying a REAL SLSA v0.2 provenance from ../shared/realdata/slsa (slsa-github-
 * generator, slsa-framework/example-package) — once as it is, once turned anomalous (a forked
 * builder on a self-hosted runner). Findings are read from the journal sink: exactly one
 * provenance.anomalous, for the anomalous digest, with its reasons in words; none for the normal one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Finding } from '../../core/index.js';
import { realdata } from '../../core/testing/index.js';
import { madeAnomalous, provenanceEvent, realPredicate } from '../../detectors/provenance/testing/index.js';
import { built, httpStatus, journalEvents, metricValue, runCli, startDaemon } from '../helpers/daemon-process.js';

const rd = realdata();

const findings = (journal: string): Finding[] => journalEvents<Finding>(journal, 'dev.chainwatch.finding.v1');

describe.skipIf(!built() || rd.skip)('provenance detector in the daemon process (embedded bus)', () => {
  it('events publish registry: one provenance.anomalous with reasons for the anomalous release, none for the normal one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-prov-'));
    const cfg = join(dir, 'chainwatch.yaml');
    writeFileSync(
      cfg,
      'bus:\n  kind: embedded\n  embedded:\n    pollInterval: 50ms\nsinks:\n  journal:\n    path: journal.jsonl\n    families: [findings]\ndetectors:\n  provenance: {}\nshutdown:\n  deadline: 10s\n',
    );
    const journal = join(dir, 'journal.jsonl');
    const { predicateType, predicate } = realPredicate(rd.dir);
    const normal = provenanceEvent('1', [{ predicateType, predicate }]);
    const anomalous = provenanceEvent('2', [{ predicateType, predicate: madeAnomalous(predicate) }]);
    const d = await startDaemon(['--config', cfg, '--data-dir', dir]);
    try {
      await vi.waitFor(async () => expect(await httpStatus(`${d.url}/readyz`)).toBe(200), { timeout: 60_000, interval: 100 });
      const pub = await runCli(
        ['events', 'publish', 'registry', '--config', cfg, '--data-dir', dir],
        [normal, anomalous].map((e) => JSON.stringify(e)).join('\n'),
      );
      expect(pub.code, pub.stderr).toBe(0);
      await vi.waitFor(async () => expect(await metricValue(d.url, 'chainwatch_provenance_scored_total', { verdict: 'normal' })).toBe(1), {
        timeout: 60_000,
        interval: 200,
      });
      await vi.waitFor(() => expect(findings(journal).filter((f) => f.rule === 'provenance.anomalous')).toHaveLength(1), { timeout: 60_000, interval: 100 });
      expect(await metricValue(d.url, 'chainwatch_provenance_scored_total', { verdict: 'anomalous' })).toBe(1);
      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
      const all = findings(journal).filter((f) => f.detector === 'provenance');
      expect(all).toHaveLength(1);
      const f = all[0]!;
      expect(f).toMatchObject({ severity: 'medium', category: 'security', subject: `ghcr.io/slsa-framework/example-package@sha256:${'2'.repeat(64)}` });
      expect(f.description).toMatch(/builder https:\/\/github\.com\/attacker\/\S+ is not a known trusted builder/);
      expect(f.description).toContain('self-hosted runner');
      expect(f.evidence).toMatchObject({ featureSchemaVersion: 1, modelSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    } finally {
      d.child.kill('SIGKILL');
    }
  }, 240_000);
});
