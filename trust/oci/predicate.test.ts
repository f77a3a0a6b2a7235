import { describe, expect, it } from 'vitest';
import { summarizePredicate } from './predicate.js';

// Hand-made predicates in the shapes Trivy JSON and SARIF 2.1.0 report (the real cosign vuln sample
// in ../shared/realdata has `result: null`, covered by verify.cosign.test.ts).
describe('summarizePredicate', () => {
  const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';

  it('counts Trivy vulnerabilities by severity', () => {
    const result = {
      Results: [{ Vulnerabilities: [{ Severity: 'CRITICAL' }, { Severity: 'HIGH' }, { Severity: 'HIGH' }] }, { Vulnerabilities: [{ Severity: 'LOW' }] }],
    };
    const s = summarizePredicate(VULN, { scanner: { uri: 'pkg:github/aquasecurity/trivy@0.50.0', version: '0.50.0', db: { version: '2' }, result } });
    expect(s).toEqual({
      scanner: 'pkg:github/aquasecurity/trivy@0.50.0',
      scannerVersion: '0.50.0',
      dbVersion: '2',
      severityCounts: { critical: 1, high: 2, low: 1 },
    });
  });

  it('maps SARIF levels error/warning/note onto high/medium/low', () => {
    const result = { runs: [{ results: [{ level: 'error' }, { level: 'warning' }, { level: 'note' }, { level: 'none' }] }] };
    expect(summarizePredicate(VULN, { scanner: { uri: 'grype', result } }).severityCounts).toEqual({ high: 1, medium: 1, low: 1, unknown: 1 });
  });

  it('no parsable result: no counts', () => {
    expect(summarizePredicate(VULN, { scanner: { uri: 'x', result: null } })).toEqual({ scanner: 'x' });
  });

  it('SLSA v1 from a GitHub builder: workflow path, trigger, source', () => {
    const s = summarizePredicate('https://slsa.dev/provenance/v1', {
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: { workflow: { ref: 'refs/heads/main', repository: 'https://github.com/acme/app', path: '.github/workflows/release.yml' } },
        internalParameters: { github: { event_name: 'push' } },
        resolvedDependencies: [{ uri: 'git+https://github.com/acme/app@refs/heads/main', digest: { gitCommit: 'abc123' } }],
      },
      runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
    });
    expect(s).toEqual({
      builderId: 'https://github.com/actions/runner/github-hosted',
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      sourceRepository: 'https://github.com/acme/app',
      sourceRef: 'refs/heads/main',
      sourceDigest: 'abc123',
      workflowPath: '.github/workflows/release.yml',
      workflowTrigger: 'push',
      resolvedDependenciesCount: 1,
      externalParametersPresent: true,
    });
  });

  it('caps licence sets and truncates strings; unknown types give {}', () => {
    const components = Array.from({ length: 200 }, (_, i) => ({ licenses: [{ license: { id: `L-${String(i).padStart(3, '0')}` } }] }));
    const s = summarizePredicate('https://cyclonedx.org/bom/v1.5', { specVersion: '1.5', components });
    expect(s.componentCount).toBe(200);
    expect(s.licenses).toHaveLength(64);
    expect(summarizePredicate('https://slsa.dev/verification_summary/v1', { verifier: { id: 'v'.repeat(2000) } }).verifier).toHaveLength(512);
    expect(summarizePredicate('https://example.com/custom', { a: 1 })).toEqual({});
  });
});
