import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIdentityPolicyFile, parseIdentityPolicy, PolicyError, type PolicyErrorCode } from './index.js';

const EXAMPLES = join(import.meta.dirname, '..', 'examples');

describe('identity policy loader', () => {
  it.each(readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')))('example %s loads', async (f) => {
    const p = await loadIdentityPolicyFile(join(EXAMPLES, f));
    expect(p.version).toBe(1);
    expect(p.watches.length).toBeGreaterThan(0);
  });

  it('refuses an expected entry whose only constraint is an empty extensions map (it would allow everyone)', () => {
    const yaml = 'version: 1\nwatches:\n  - name: w\n    match: { repositories: [acme/app] }\n    expected:\n      - name: anyone\n        extensions: {}\n';
    expect(() => parseIdentityPolicy(yaml)).toThrowWithCode(PolicyError, 'POLICY_INVALID');
  });

  it('applies defaults and accepts rekor-monitor objectIdentifier', () => {
    const p = parseIdentityPolicy(readFileSync(join(EXAMPLES, 'rekor-monitor-compat.yaml'), 'utf8'));
    expect(p.defaults).toEqual({ severity: 'medium', onExpected: 'ignore' });
    expect(p.watches[0]!.match.oidMatchers![0]!.oid).toBe('1.3.6.1.4.1.57264.1.9');
    expect(p.watches[0]!.expected).toEqual([]);
  });

  const bad: [string, string, PolicyErrorCode, string, number?][] = [
    ['YAML syntax', 'version: 1\nwatches: [\n', 'POLICY_YAML_SYNTAX', ''],
    ['duplicate YAML key', 'version: 1\nversion: 1\nwatches: []\n', 'POLICY_YAML_SYNTAX', ''],
    ['wrong version', 'version: 2\nwatches: [{ name: a, match: { subjects: [x] } }]\n', 'POLICY_INVALID', 'version', 1],
    [
      'unknown key deep inside',
      'version: 1\nwatches:\n  - name: a\n    match: { subjects: [x] }\n    expected:\n      - name: e\n        refs: [main]\n        branch: main\n',
      'POLICY_INVALID',
      'watches.0.expected.0.branch',
      8,
    ],
    [
      'severity not in the enum',
      'version: 1\nwatches:\n  - name: a\n    severity: urgent\n    match: { subjects: [x] }\n',
      'POLICY_INVALID',
      'watches.0.severity',
      4,
    ],
    ['empty match', 'version: 1\nwatches:\n  - name: a\n    match: {}\n', 'POLICY_INVALID', 'watches.0.match', 4],
    [
      'allowlist entry allowing everyone',
      'version: 1\nwatches:\n  - name: a\n    match: { subjects: [x] }\n    expected: [{ name: all }]\n',
      'POLICY_INVALID',
      'watches.0.expected.0',
      5,
    ],
    [
      'non-Fulcio OID',
      'version: 1\nwatches:\n  - name: a\n    match:\n      oidMatchers: [{ oid: 2.5.29.17, extensionValues: [x] }]\n',
      'POLICY_INVALID',
      'watches.0.match.oidMatchers.0.oid',
      5,
    ],
    ['bad fingerprint', 'version: 1\nwatches:\n  - name: a\n    match: { fingerprints: [A0B1C2] }\n', 'POLICY_INVALID', 'watches.0.match.fingerprints.0', 4],
    [
      'bad regex',
      'version: 1\nwatches:\n  - name: a\n    match:\n      certIdentities:\n        - certSubject: "acme/(app"\n',
      'POLICY_BAD_PATTERN',
      'watches.0.match.certIdentities.0.certSubject',
      6,
    ],
    [
      'unknown extension name',
      'version: 1\nwatches:\n  - name: a\n    match: { fulcioExtensions: { build-cfg-uri: [x] } }\n',
      'POLICY_BAD_PATTERN',
      'watches.0.match.fulcioExtensions.build-cfg-uri',
      4,
    ],
    [
      'an Object.prototype name is no extension',
      'version: 1\nwatches:\n  - name: a\n    match: { fulcioExtensions: { constructor: [x] } }\n',
      'POLICY_BAD_PATTERN',
      'watches.0.match.fulcioExtensions.constructor',
      4,
    ],
    [
      'duplicate watch name',
      'version: 1\nwatches:\n  - name: a\n    match: { subjects: [x] }\n  - name: a\n    match: { subjects: [y] }\n',
      'POLICY_DUPLICATE_NAME',
      'watches.1.name',
      5,
    ],
  ];
  it.each(bad)('%s -> %s at its path', (_n, text, code, path, line) => {
    // Every issue at one path carries that node's line, so "an issue with this path and line" is exact.
    const issue = { path, ...(line === undefined ? {} : { line }) };
    expect(() => parseIdentityPolicy(text, 'policy.yaml')).toThrowWithCode(PolicyError, code, {
      file: 'policy.yaml',
      ...(path ? { issues: expect.arrayContaining([expect.objectContaining(issue)]) } : {}),
    });
  });

  it('missing and unreadable files have their own codes (read through the passed-in function)', async () => {
    const enoent = Object.assign(new Error('nope'), { code: 'ENOENT' });
    await expect(loadIdentityPolicyFile('/p.yaml', () => Promise.reject(enoent))).rejects.toThrowWithCode(PolicyError, 'POLICY_NOT_FOUND', { file: '/p.yaml' });
    const eacces = Object.assign(new Error('nope'), { code: 'EACCES' });
    await expect(loadIdentityPolicyFile('/p.yaml', () => Promise.reject(eacces))).rejects.toThrowWithCode(PolicyError, 'POLICY_UNREADABLE');
  });
});
