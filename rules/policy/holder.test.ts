import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ImagePolicyError } from './errors.js';
import { PolicyHolder, type ReloadOutcome } from './holder.js';

const IMAGE = 'registry.example.com/app@sha256:' + 'ab'.repeat(32);
const NO_FACTS = { signatures: [], attestations: [] };
const policy = (answer: 'pass' | 'fail') => `name: gate\nimages: ['registry.example.com/**']\nauthorities:\n  - name: s\n    static: ${answer}\n`;

describe('PolicyHolder: hot reload with last-good semantics', () => {
  const dirs: string[] = [];
  const holders: PolicyHolder[] = [];
  afterEach(() => {
    holders.splice(0).forEach((h) => h.stop());
    dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  });
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-policy-'));
    dirs.push(dir);
    return dir;
  };

  it('a changed file is picked up by the watcher', async () => {
    const dir = setup();
    writeFileSync(join(dir, 'gate.yaml'), policy('pass'));
    const outcomes: ReloadOutcome[] = [];
    const h = new PolicyHolder(dir, { debounceMs: 20, onReload: (o) => outcomes.push(o) });
    holders.push(h);
    await h.start();
    expect(h.current().evaluate(IMAGE, NO_FACTS).verdict).toBe('pass');
    writeFileSync(join(dir, 'gate.yaml'), policy('fail'));
    await vi.waitFor(() => expect(h.current().evaluate(IMAGE, NO_FACTS).verdict).toBe('fail'), { timeout: 5000, interval: 25 });
    expect(outcomes.at(-1)?.ok).toBe(true);
  });

  it('a broken file is reported with its location and the last good set stays in force', async () => {
    const dir = setup();
    writeFileSync(join(dir, 'gate.yaml'), policy('pass'));
    const outcomes: ReloadOutcome[] = [];
    const h = new PolicyHolder(dir, { debounceMs: 20, onReload: (o) => outcomes.push(o) });
    holders.push(h);
    const first = await h.start();
    writeFileSync(join(dir, 'broken.yaml'), 'name: broken\nimages: [x]\nmode: loud\nauthorities: [{ name: s, static: pass }]\n');
    await vi.waitFor(() => expect(outcomes.some((o) => !o.ok)).toBe(true), { timeout: 5000, interval: 25 });
    const failed = outcomes.find((o) => !o.ok);
    expect(failed?.ok === false && failed.error.code).toBe('POLICY_INVALID');
    expect(failed?.ok === false && failed.error.issues[0]).toMatchObject({ file: join(dir, 'broken.yaml'), line: 3, path: 'mode' });
    expect(h.current()).toBe(first);
    expect(h.current().evaluate(IMAGE, NO_FACTS).verdict).toBe('pass');
    // Fixing the file brings the new set in.
    writeFileSync(join(dir, 'broken.yaml'), policy('fail').replace('gate', 'broken'));
    await vi.waitFor(() => expect(h.current().evaluate(IMAGE, NO_FACTS).verdict).toBe('fail'), { timeout: 5000, interval: 25 });
  });

  it('start fails when the first load fails (no last good set to fall back on)', async () => {
    const dir = setup();
    writeFileSync(join(dir, 'bad.yaml'), 'name: [\n');
    await expect(new PolicyHolder(dir).start()).rejects.toThrowWithCode(ImagePolicyError, 'POLICY_YAML_SYNTAX');
  });
});
