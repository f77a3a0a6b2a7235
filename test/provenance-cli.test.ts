/** `chainwatch provenance score|explain` as users run them: the real CLI process, the shipped model, the shared real provenance. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { realdata } from '../core/testing/index.js';
import { FEATURES } from '../detectors/provenance/index.js';
import { built, runCli } from './helpers/daemon-process.js';

const rd = realdata();
const file = (f: string): string => join(rd.dir, 'slsa', 'slsa-verifier', f);

describe.skipIf(!built() || rd.skip)('chainwatch provenance', () => {
  it('score: real releases are normal (exit 0); the forked builder is anomalous with reasons (exit 1)', async () => {
    const ok = await runCli([
      'provenance',
      'score',
      '--json',
      file('gha_go/v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl'),
      file('npm/provenance-npm-test-cli-v1-prega.tgz.json'),
    ]);
    expect(ok.code).toBe(0);
    const lines = ok.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { verdict: string; score: number; threshold: number; modelVersion: string });
    expect(lines.map((l) => l.verdict)).toEqual(['normal', 'normal']);
    expect(lines[0]!.score).toBeLessThan(lines[0]!.threshold);
    const bad = await runCli(['provenance', 'score', file('fail/binary-linux-amd64-untrusted-builder.intoto.jsonl')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/anomalous .*builder https:\/\/github\.com\/asraa\/slsa-github-generator\/\S+ is not a known trusted builder/);
  });

  it('score: unreadable input exits 2 with its code; a corrupt model exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prov-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ payloadType: 'text/plain', payload: 'e30=', signatures: [] }));
    const r = await runCli(['provenance', 'score', '--json', join(dir, 'bad.json')]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'unreadable', code: 'PROVENANCE_WRONG_PAYLOAD_TYPE' });
    writeFileSync(join(dir, 'm.onnx'), 'junk');
    writeFileSync(join(dir, 'm.json'), '{}');
    const m = await runCli(['provenance', 'score', '--model', join(dir, 'm.onnx'), file('gha_go/v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl')]);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('MODEL_CORRUPT');
  });

  it('explain prints every feature of the schema', async () => {
    const r = await runCli(['provenance', 'explain', '--json', file('github-attestation/MODULE.bazel.intoto.jsonl')]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { facts: { sourceRepo: string }; features: Record<string, number> };
    expect(Object.keys(out.features)).toEqual([...FEATURES]);
    expect(out.facts.sourceRepo).toBe('github.com/aspect-build/rules_lint');
    expect(out.features.runner_self_hosted).toBe(0);
  });
});
