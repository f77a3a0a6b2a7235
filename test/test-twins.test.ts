import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Test twins have one home: core/testing (and a capability's own `testing/` folder for twins of
 * that capability, e.g. collectors/rekor/testing). Copies crept into seven places before; these
 * checks fail when a test writes its own copy of a twin that already exists there.
 */
const ROOT = join(import.meta.dirname, '..');
const SKIP = new Set(['node_modules', 'dist', '.git']);
const SELF = relative(ROOT, import.meta.filename);

function sources(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name) || e.name.startsWith('.')) return [];
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [relative(ROOT, p)] : [];
  });
}

const isTestCode = (f: string): boolean => f.endsWith('.test.ts') || f.startsWith('test/') || f.startsWith('bench/');
const inTwinHome = (f: string): boolean => f.startsWith('core/testing/') || /(^|\/)testing\//.test(f);
const testFiles = sources().filter((f) => isTestCode(f) && !inTwinHome(f) && f !== SELF);
const offenders = (re: RegExp, allowed: ReadonlyMap<string, string> = new Map()): string[] =>
  testFiles.filter((f) => !allowed.has(f) && re.test(readFileSync(join(ROOT, f), 'utf8')));

describe('test twins live in core/testing or a <capability>/testing folder', () => {
  it('no hand-written poll loop (use vi.waitFor)', () => {
    expect(offenders(/for \([^;)]*;[^;)]*;[^)]*\)\s*await new Promise\(\(\w+\) => setTimeout\(/)).toEqual([]);
  });

  it('no hand-made recording HTTP server (core/testing startRecordingServer / RecordingServer)', () => {
    const allowed = new Map([
      ['core/http/client.test.ts', 'tests the HTTP client against raw socket behaviour (stalls, resets, oversize bodies)'],
      [
        'core/http/node-transport.test.ts',
        'tests the transport against raw server behaviour (redirect chains, gzip bodies, one socket reused: counts connections)',
      ],
      ['test/daemon/tracing.test.ts', 'reads binary OTLP bodies; follow-up: a raw-body field on RecordedRequest'],
      ['sinks/audit/search/auth.test.ts', 'follow-up: switch to startRecordingServer'],
      ['detectors/cert-expiry/detector.test.ts', 'a node:tls server (no HTTP): the chain it serves is what the handshake must read'],
    ]);
    expect(offenders(/\bcreateServer\(/, allowed)).toEqual([]);
  });

  it('no local finding/notification builders or error-and-secret checkers (core/testing fixtures, rejectionOf, assertNoSecrets)', () => {
    expect(offenders(/\): (Notification|Finding) \{|function (assertNoSecrets|expectHttpError)\b/)).toEqual([]);
  });

  it('no copy of the signed hashedrekord upload (collectors/rekor/testing uploadHashedRekord)', () => {
    expect(offenders(/['"]--type['"],\s*['"]hashedrekord['"]/)).toEqual([]);
  });
});
