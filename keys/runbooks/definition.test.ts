import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../core/testing/index.js';
import { bindParameters, loadRunbook, parseRunbook, resolveStep, RunbookError } from './definition.js';

const SHIPPED = join(import.meta.dirname, '..', '..', 'config', 'runbooks');
const K = 'ab'.repeat(32);

const head = "name: x\nparameters:\n  key: { pattern: '^[0-9a-f]{64}$' }\nsteps:\n";
const parse = (steps: string) => () => parseRunbook(head + steps, 'x.yaml');

describe('runbook definitions', () => {
  it('the shipped revoke-key and rotate-key load, in dependency order, and bind their parameters', () => {
    const revoke = loadRunbook(SHIPPED, 'revoke-key');
    expect(revoke.steps.map((s) => s.type)).toEqual(['require-approvals', 'hsm-disable-key', 'publish-revocation', 'find-signed', 'open-incident', 'notify']);
    const params = bindParameters(revoke, { key: K, reason: 'leaked' });
    expect(resolveStep(revoke.steps[1]!, params).with).toEqual({ key: K, policy: 'disable' });
    expect(loadRunbook(SHIPPED, 'rotate-key').steps.map((s) => s.id)).toEqual(['approvals', 'rotate', 'notify']);
  });

  it('explicit `after` reorders; a cycle, an unknown dependency, a duplicate id are coded errors naming the step', () => {
    const rb = parseRunbook(
      head + '  - { id: b, type: notify, after: [a], with: { message: hi } }\n  - { id: a, type: notify, after: [], with: { message: hi } }\n',
      'x.yaml',
    );
    expect(rb.steps.map((s) => s.id)).toEqual(['a', 'b']);
    expect(
      parse('  - { id: a, type: notify, after: [b], with: { message: hi } }\n  - { id: b, type: notify, after: [a], with: { message: hi } }\n'),
    ).toThrowWithCode(RunbookError, 'RUNBOOK_CYCLE');
    expect(parse('  - { id: a, type: notify, after: [zz], with: { message: hi } }\n')).toThrowWithCode(RunbookError, 'RUNBOOK_UNKNOWN_DEPENDENCY');
    expect(parse('  - { id: a, type: notify, with: { message: hi } }\n  - { id: a, type: notify, with: { message: hi } }\n')).toThrowWithCode(
      RunbookError,
      'RUNBOOK_DUPLICATE_STEP',
    );
  });

  it('an unknown step type and bad step parameters are coded errors with the line and field path', () => {
    let err: RunbookError | undefined;
    try {
      parseRunbook(head + '  - { id: a, type: notify, with: { message: hi } }\n  - id: b\n    type: wipe-disk\n', 'x.yaml');
    } catch (e) {
      err = e as RunbookError;
    }
    expect(err).toBeInstanceOf(RunbookError);
    expect(err!.code).toBe('RUNBOOK_UNKNOWN_STEP');
    expect(err!.location).toMatchObject({ file: 'x.yaml', step: 'b', path: 'steps.1.type', line: 7 });
    expect(parse("  - { id: a, type: hsm-disable-key, with: { key: '${key}', policy: shred } }\n")).toThrowWithCode(RunbookError, 'RUNBOOK_BAD_PARAMS');
    expect(parse('  - { id: a, type: require-approvals, with: { min: 0 } }\n')).toThrowWithCode(RunbookError, 'RUNBOOK_BAD_PARAMS');
    expect(parse("  - { id: a, type: notify, with: { message: '${nope}' } }\n")).toThrowWithCode(RunbookError, 'RUNBOOK_BAD_PARAMS');
    expect(parse('  - { id: a, type: notify, with: { message: hi, colour: red } }\n')).toThrowWithCode(RunbookError, 'RUNBOOK_BAD_PARAMS');
    expect(() => parseRunbook('name: x\nsteps: [', 'x.yaml')).toThrowWithCode(RunbookError, 'RUNBOOK_PARSE');
    expect(() => loadRunbook(SHIPPED, 'no-such-runbook')).toThrowWithCode(RunbookError, 'RUNBOOK_NOT_FOUND');
  });

  it('parameters: missing, not matching the pattern, undeclared', () => {
    const rb = loadRunbook(SHIPPED, 'revoke-key');
    expect(() => bindParameters(rb, { key: K })).toThrowWithCode(RunbookError, 'RUNBOOK_PARAMETER_MISSING');
    expect(() => bindParameters(rb, { key: 'XYZ', reason: 'r' })).toThrowWithCode(RunbookError, 'RUNBOOK_PARAMETER_INVALID');
    expect(() => bindParameters(rb, { key: K, reason: 'r', colour: 'red' })).toThrowWithCode(RunbookError, 'RUNBOOK_PARAMETER_INVALID');
  });
});
