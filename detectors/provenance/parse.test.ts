import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realdata } from '../../core/testing/index.js';
import { MAX_DEPTH, readProvenanceText, readProvenanceValue } from './document.js';
import { ProvenanceError, type ProvenanceErrorCode } from './errors.js';
import { extractFeatures, FEATURE_COUNT, FEATURES, type FeatureName } from './features.js';
import { contextFor, MemoryHistoryStore, recordRelease } from './history.js';
import { normalizeProvenance } from './normalize.js';

const rd = realdata();
const SLSA = join(rd.dir, 'slsa', 'slsa-verifier');
const read = (f: string) => normalizeProvenance(readProvenanceText(readFileSync(join(SLSA, f))));
const feat = (v: Float32Array, n: FeatureName) => v[FEATURES.indexOf(n)];
const none = { repo: undefined, subjectRepo: undefined };

describe.skipIf(rd.skip)('provenance parsing of the real documents (shared/realdata/slsa)', () => {
  it('reads SLSA v0.2 from a DSSE envelope (slsa-github-generator, JSON Lines)', () => {
    const p = read('gha_generic/v1.2.1/binary-linux-amd64-push-v13.0.30.intoto.jsonl');
    expect(p).toMatchObject({
      slsaVersion: 'v0.2',
      sourceRepo: 'github.com/slsa-framework/example-package',
      refKind: 'tag',
      trigger: 'push',
      materialsCount: 1,
    });
    expect(p.workflowPath).toBe('.github/workflows/verifier-e2e.generic.workflow_dispatch.main.all.slsa3.yml');
  });

  it('reads SLSA v1 GitHub attestations from a Sigstore bundle with the signer from its certificate', () => {
    const p = read('github-attestation/MODULE.bazel.intoto.jsonl');
    expect(p).toMatchObject({
      slsaVersion: 'v1',
      runner: 'hosted',
      trigger: 'workflow_dispatch',
      refKind: 'branch',
      workflowPath: '.github/workflows/release.yml',
    });
    expect(p.signerRepo).toBe('github.com/aspect-build/rules_lint');
    expect(p.time).toBeDefined();
    const wrong = read('github-attestation/MODULE-wrong-signer.bazel.intoto.jsonl');
    expect(feat(extractFeatures(wrong, none), 'signer_repo_mismatch')).toBe(1);
    expect(feat(extractFeatures(p, none), 'signer_repo_mismatch')).toBe(0);
  });

  it('reads npm attestation documents (v1 and v0.2) and Cloud Build summaries (v0.1)', () => {
    expect(read('npm/provenance-npm-test-cli-v1-prega.tgz.json')).toMatchObject({
      slsaVersion: 'v1',
      builderId: 'https://github.com/actions/runner/github-hosted',
      subjects: ['pkg:npm/sigstore@2.3.1'],
    });
    expect(read('npm/supreme-googles-cli-v02-tag.tgz.json')).toMatchObject({
      slsaVersion: 'v0.2',
      refKind: 'tag',
      workflowPath: '.github/workflows/npm-publish.yml',
    });
    expect(read('gcb_container/v0.3/gcloud-container-github.json')).toMatchObject({
      slsaVersion: 'v0.1',
      sourceRepo: 'github.com/laurentsimon/gcb-tests',
      refKind: 'tag',
      runner: 'hosted',
    });
  });

  it('flags the forked builder of the upstream "untrusted builder" case and trusts the real builders', () => {
    expect(feat(extractFeatures(read('fail/binary-linux-amd64-untrusted-builder.intoto.jsonl'), none), 'builder_trusted')).toBe(0);
    for (const f of [
      'gha_go/v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl',
      'gha_delegator/v2.0.0/binary-linux-amd64-workflow_dispatch.build.slsa',
      'npm/npm-attestations.intoto.sigstore',
    ]) {
      expect(feat(extractFeatures(read(f), none), 'builder_trusted'), f).toBe(1);
    }
  });

  it('refuses a non-provenance predicate with PROVENANCE_UNKNOWN_PREDICATE', () => {
    const vuln = readFileSync(join(rd.dir, 'slsa', 'cosign', 'vuln-predicate.json'), 'utf8');
    const st = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [],
      predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1',
      predicate: JSON.parse(vuln),
    };
    expect(() => normalizeProvenance(readProvenanceValue(st))).toThrowWithCode(ProvenanceError, 'PROVENANCE_UNKNOWN_PREDICATE');
  });
});

describe('provenance bad input', () => {
  const dsse = (payloadType: string, payload: string) => ({ payloadType, payload, signatures: [] });
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
  const stmt = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'x' }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: { runDetails: { builder: { id: 'https://b' } } },
  };

  it.each<[string, string, ProvenanceErrorCode]>([
    ['not JSON', '{nope', 'PROVENANCE_MALFORMED_JSON'],
    ['a JSON array', '[1]', 'PROVENANCE_MALFORMED_JSON'],
    ['wrong payload type', JSON.stringify(dsse('text/plain', b64(stmt))), 'PROVENANCE_WRONG_PAYLOAD_TYPE'],
    ['payload not base64', JSON.stringify(dsse('application/vnd.in-toto+json', '!!!')), 'PROVENANCE_BAD_DSSE'],
    ['payload not JSON', JSON.stringify(dsse('application/vnd.in-toto+json', Buffer.from('nope').toString('base64'))), 'PROVENANCE_BAD_DSSE'],
    ['signatures not a list', JSON.stringify({ ...dsse('application/vnd.in-toto+json', b64(stmt)), signatures: {} }), 'PROVENANCE_BAD_DSSE'],
    ['no statement type', JSON.stringify(dsse('application/vnd.in-toto+json', b64({ ...stmt, _type: 'x' }))), 'PROVENANCE_NOT_STATEMENT'],
    ['neither shape', JSON.stringify({ hello: 1 }), 'PROVENANCE_NOT_STATEMENT'],
    ['too large', JSON.stringify({ pad: 'x'.repeat(5 * 1024 * 1024) }), 'PROVENANCE_TOO_LARGE'],
    ['too deep', '['.repeat(MAX_DEPTH + 5) + ']'.repeat(MAX_DEPTH + 5), 'PROVENANCE_TOO_DEEP'],
  ])('%s -> %s', (_what, text, code) => {
    expect(() => normalizeProvenance(readProvenanceText(text))).toThrowWithCode(ProvenanceError, code);
  });

  it('a predicate without builder id is PROVENANCE_INVALID_PREDICATE; a deep predicate inside a valid envelope is PROVENANCE_TOO_DEEP', () => {
    expect(() => normalizeProvenance(readProvenanceValue({ ...stmt, predicate: {} }))).toThrowWithCode(ProvenanceError, 'PROVENANCE_INVALID_PREDICATE');
    let deep: unknown = 1;
    for (let i = 0; i < 500; i++) deep = { d: deep };
    expect(() => readProvenanceText(JSON.stringify(dsse('application/vnd.in-toto+json', b64({ ...stmt, predicate: deep }))))).toThrowWithCode(
      ProvenanceError,
      'PROVENANCE_TOO_DEEP',
    );
  });

  it('first-seen features stay 0 without history and fire once a history exists', async () => {
    const p = normalizeProvenance(readProvenanceValue(stmt));
    const store = new MemoryHistoryStore();
    const first = extractFeatures(p, await contextFor(store, p));
    expect(first).toHaveLength(FEATURE_COUNT);
    expect(feat(first, 'builder_new_for_repo')).toBe(0);
    const withRepo = { ...p, sourceRepo: 'github.com/a/b' };
    await recordRelease(store, withRepo, await contextFor(store, withRepo));
    const other = { ...withRepo, builderId: 'https://other' };
    expect(feat(extractFeatures(other, await contextFor(store, other)), 'builder_new_for_repo')).toBe(1);
  });
});
